// A customer's page on its own loopback origin that uses Tencent's tim-js-sdk as a
// classic script (tests/test_browser_timsdk.py): node page.mjs <port> <hutong ws origin>.
// Its Content-Security-Policy is what docs/tim-sdk.md asks of such a page: the SDK's
// socket runs in a Worker made from a blob: URL, and connects to Hutong.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';

const [port, hutong] = process.argv.slice(2);
const sdk = readFileSync(createRequire(import.meta.url).resolve('tim-js-sdk/tim-js.js'));
const page = '<!doctype html><meta charset="utf-8"><title>A TIM page</title>'
  + '<script src="/tim-js.js"></script>';
const csp = `default-src 'self'; script-src 'self'; worker-src blob:; connect-src 'self' ${hutong}`;

createServer((request, response) => {
  if (request.url === '/tim-js.js') {
    response.writeHead(200, { 'content-type': 'text/javascript' });
    response.end(sdk);
  } else if (request.url === '/') {
    response.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': csp });
    response.end(page);
  } else {
    response.writeHead(404);
    response.end();
  }
}).listen(Number(port), '127.0.0.1');
