// Another site's back end and page, for tests/test_embedding.py: it serves one page that
// loads Hutong's SDK as a classic <script> from the Hutong server, and signs its users
// with Tencent's own library, as docs/embedding.md shows. Prints "ready" when listening.
//   node tests/embedding/shop.mjs PORT HUTONG_URL SDKAPPID SECRET_KEY
import http from 'node:http';
import TLSSigAPIv2 from 'tls-sig-api-v2';

const [port, hutong, sdkappid, key] = process.argv.slice(2);
const signer = new TLSSigAPIv2.Api(Number(sdkappid), key);

const page = `<!doctype html>
<meta charset="utf-8">
<title>A shop with a chat</title>
<p id="state">loading</p>
<ul id="received"></ul>
<script src="${hutong}/static/im/dist/tim.global.js"></script>
<script>
  const state = document.getElementById('state');
  const tim = TIM.create({SDKAppID: ${Number(sdkappid)}, server: '${hutong}'});
  tim.on(TIM.EVENT.SDK_READY, () => { state.textContent = 'ready'; });
  tim.on(TIM.EVENT.MESSAGE_RECEIVED, ({data}) => {
    for (const message of data) {
      // Text messages only: the chat page's typing indicators are custom messages too.
      if (message.type !== TIM.TYPES.MSG_TEXT) continue;
      const item = document.createElement('li');
      item.textContent = message.from + ': ' + message.payload.text;
      document.getElementById('received').append(item);
    }
  });
  async function start(userID) {
    const {userSig} = await (await fetch('/usersig?user=' + encodeURIComponent(userID))).json();
    try {
      await tim.login({userID, userSig});
    } catch (error) {
      state.textContent = 'refused ' + error.code + ': ' + error.message;
    }
  }
  async function send(to, text) {
    const message = tim.createTextMessage({to, conversationType: TIM.TYPES.CONV_C2C, payload: {text}});
    await tim.sendMessage(message);
  }
  async function sendFile(to, name, text) {
    // Uploaded to the Hutong server (another origin) before the message goes.
    const file = new File([text], name, {type: 'text/plain'});
    const message = tim.createFileMessage({to, conversationType: TIM.TYPES.CONV_C2C, payload: {file}});
    await tim.sendMessage(message);
  }
</script>
`;

http
  .createServer((request, response) => {
    const url = new URL(request.url, 'http://shop');
    if (url.pathname === '/usersig') {
      // A real back end signs only the user its own session has signed in.
      const userSig = signer.genSig(url.searchParams.get('user'), 3600);
      response.writeHead(200, {'Content-Type': 'application/json'});
      response.end(JSON.stringify({userSig}));
    } else if (url.pathname === '/') {
      response.writeHead(200, {'Content-Type': 'text/html; charset=utf-8'});
      response.end(page);
    } else {
      response.writeHead(404);
      response.end();
    }
  })
  .listen(Number(port), '127.0.0.1', () => console.log('ready'));
