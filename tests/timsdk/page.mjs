// A customer's page on its own loopback origin that uses Tencent's tim-js-sdk and its
// upload plugin (tim-upload-plugin) as classic scripts (tests/test_browser_timsdk.py):
// node page.mjs <port> <hutong ws origin>. Its Content-Security-Policy is what
// docs/tim-sdk.md asks of such a page: the SDK's socket runs in a Worker made from a
// blob: URL and connects to Hutong; the plugin PUTs files to Hutong, and the SDK loads
// an uploaded image from there to read its size.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';

const [port, hutong] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const scripts = {
  '/tim-js.js': readFileSync(require.resolve('tim-js-sdk/tim-js.js')),
  '/tim-upload-plugin.js': readFileSync(require.resolve('tim-upload-plugin')),
};
const page = '<!doctype html><meta charset="utf-8"><title>A TIM page</title>'
  + '<script src="/tim-js.js"></script><script src="/tim-upload-plugin.js"></script>';
const files = hutong.replace(/^ws/, 'http');
const csp = `default-src 'self'; script-src 'self'; worker-src blob:; `
  + `connect-src 'self' ${hutong} ${files}; img-src 'self' blob: ${files}`;

createServer((request, response) => {
  if (scripts[request.url]) {
    response.writeHead(200, { 'content-type': 'text/javascript' });
    response.end(scripts[request.url]);
  } else if (request.url === '/') {
    response.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': csp });
    response.end(page);
  } else {
    response.writeHead(404);
    response.end();
  }
}).listen(Number(port), '127.0.0.1');
