// The SDK's media messages against a fake server and a fake XMLHttpRequest: what goes
// on the wire in which order, progress, the server's payload replacing the preview,
// cancel, and a resend after a failed upload.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {FakeServer, fakeUploads, readyTIM, serverError, settle} from './fakeserver.mjs';
import TIM from '../../static/im/tim.js';

let appID = 1400000300;

/** Every PUT the SDK makes; the test decides when and how each one ends. */
class FakeXHR {
  static made = [];
  upload = {};
  headers = {};
  constructor() {
    FakeXHR.made.push(this);
  }
  open(method, url) {
    Object.assign(this, {method, url});
  }
  setRequestHeader(name, value) {
    this.headers[name] = value;
  }
  send(body) {
    this.body = body;
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  progress(loaded) {
    this.upload.onprogress?.({loaded, total: this.body.size});
  }
  answer(status, text = '') {
    Object.assign(this, {status, responseText: text});
    this.onload?.();
  }
}
globalThis.XMLHttpRequest = FakeXHR;

async function ready() {
  FakeXHR.made = [];
  const server = new FakeServer();
  fakeUploads(server);
  server.handlers.sendMessage = (data) => ({
    message: {...data, ID: 'x', status: 'success', sequence: 1, time: 100, payload: serverPayload(data)},
  });
  const {tim} = await readyTIM(appID++);
  return {server, tim};
}

function serverPayload(data) {
  return {...data.payload, fileUrl: `/im/media/?t=${data.payload.uuid}`, fileName: 'r.pdf'};
}

const pdf = () => new File([new Uint8Array(1000)], 'r.pdf', {type: 'application/pdf'});

test('a file: createUpload, PUT with progress to the server\'s origin, finishUpload, send', async () => {
  const {server, tim} = await ready();
  const progress = [];
  const message = tim.createFileMessage({
    to: 'bob',
    conversationType: TIM.TYPES.CONV_C2C,
    payload: {file: {files: [pdf()]}},
    onProgress: (p) => progress.push(p),
  });
  assert.equal(message.status, 'unSend');
  assert.equal(message.payload.fileName, 'r.pdf');
  assert.match(message.payload.fileUrl, /^blob:/, 'a local preview at once');
  const sending = tim.sendMessage(message);
  await settle();
  assert.deepEqual(server.sent('createUpload'), [
    {kind: 'file', fileName: 'r.pdf', fileSize: 1000, contentType: 'application/pdf'},
  ]);
  const [xhr] = FakeXHR.made;
  assert.equal(xhr.method, 'PUT');
  assert.equal(xhr.url, 'http://hutong.test:8000/im/uploads/?t=1');
  assert.deepEqual(xhr.headers, {'Content-Type': 'application/pdf'});
  xhr.progress(250);
  xhr.progress(1000);
  assert.deepEqual(server.sent('finishUpload'), [], 'not before the PUT answered');
  xhr.answer(204);
  const {data} = await sending;
  assert.deepEqual(progress, [0, 0.25, 1]);
  assert.deepEqual(server.sent('finishUpload'), [{uuid: 'u1'}]);
  assert.deepEqual(server.sent('sendMessage')[0].payload, {uuid: 'u1'});
  assert.equal(data.message, message);
  assert.equal(message.status, 'success');
  assert.equal(message.payload.fileUrl, '/im/media/?t=u1', 'the server\'s payload now');
  await tim.destroy();
});

test('bad files throw TIM\'s codes at once, and nothing goes out', async () => {
  const {server, tim} = await ready();
  const to = {to: 'bob', conversationType: TIM.TYPES.CONV_C2C};
  const code = (run) => {
    try {
      run();
    } catch (error) {
      return error.code;
    }
    return 0;
  };
  const gif = new File(['x'], 'a.txt', {type: 'text/plain'});
  assert.equal(code(() => tim.createImageMessage({...to, payload: {file: {files: []}}})), 2251);
  assert.equal(code(() => tim.createImageMessage({...to, payload: {file: gif}})), 2252);
  assert.equal(code(() => tim.createVideoMessage({...to, payload: {file: gif}})), 2352);
  assert.equal(code(() => tim.createFileMessage({...to, payload: {file: new File([], 'e')}})), 2108);
  assert.throws(() => tim.createFileMessage({...to, payload: {file: pdf()}, onProgress: 5}));
  assert.deepEqual(server.sent('createUpload'), []);
  await tim.destroy();
});

test('cancel aborts the PUT; the message fails and is never sent', async () => {
  const {server, tim} = await ready();
  const message = tim.createFileMessage({
    to: 'bob',
    conversationType: TIM.TYPES.CONV_C2C,
    payload: {file: pdf()},
  });
  const sending = tim.sendMessage(message).catch((error) => error);
  await settle();
  FakeXHR.made[0].progress(100);
  const cancelled = await tim.cancelUploadMessage(message);
  assert.equal(cancelled.data.message, message);
  const error = await sending;
  assert.equal(error.code, TIM.ERROR.FILE_UPLOAD_FAILED);
  assert.equal(error.data.cancelled, true);
  assert.equal(error.data.message, message);
  assert.equal(FakeXHR.made[0].aborted, true);
  assert.equal(message.status, 'fail');
  assert.deepEqual(server.sent('finishUpload'), []);
  assert.deepEqual(server.sent('sendMessage'), []);
  await assert.rejects(tim.cancelUploadMessage(message), {code: TIM.ERROR.INVALID_PARAMS});
  await tim.destroy();
});

test('a refused upload fails with the server\'s code; a resend uploads it again', async () => {
  const {server, tim} = await ready();
  const message = tim.createImageMessage({
    to: 'bob',
    conversationType: TIM.TYPES.CONV_C2C,
    payload: {file: new File([new Uint8Array(50)], 'a.png', {type: 'image/png'})},
  });
  server.handlers.finishUpload = () => {
    throw serverError(2252, 'not an image');
  };
  const first = tim.sendMessage(message).catch((error) => error);
  await settle();
  FakeXHR.made[0].answer(204);
  assert.equal((await first).code, 2252);
  assert.equal(message.status, 'fail');

  server.handlers.finishUpload = ({uuid}) => ({uuid, isReady: true, width: 1, height: 1});
  const again = tim.resendMessage(message);
  await settle();
  FakeXHR.made[1].answer(204);
  await again;
  assert.deepEqual(server.sent('finishUpload'), [{uuid: 'u1'}, {uuid: 'u2'}]);
  assert.deepEqual(server.sent('sendMessage').map((m) => m.payload), [{uuid: 'u2'}]);
  assert.equal(message.status, 'success');
  await tim.destroy();
});

test('a send that fails after the upload finished resends without uploading again', async () => {
  const {server, tim} = await ready();
  const message = tim.createFileMessage({
    to: 'bob',
    conversationType: TIM.TYPES.CONV_C2C,
    payload: {file: pdf()},
  });
  const send = server.handlers.sendMessage;
  server.handlers.sendMessage = () => {
    throw serverError(20003, 'no such user');
  };
  const first = tim.sendMessage(message).catch((error) => error);
  await settle();
  FakeXHR.made[0].answer(204);
  assert.equal((await first).code, 20003);
  server.handlers.sendMessage = send;
  await tim.resendMessage(message);
  assert.equal(FakeXHR.made.length, 1);
  assert.equal(server.sent('createUpload').length, 1);
  assert.deepEqual(server.sent('sendMessage').map((m) => [m.payload, m.random]), [
    [{uuid: 'u1'}, message.random],
    [{uuid: 'u1'}, message.random],
  ]);
  await tim.destroy();
});

test('a PUT that cannot reach the server fails the message with the kind\'s code', async () => {
  const {tim} = await ready();
  const message = tim.createAudioMessage({
    to: 'bob',
    conversationType: TIM.TYPES.CONV_C2C,
    payload: {file: {file: new Blob(['voice'], {type: 'audio/webm'}), duration: 2000}},
  });
  assert.equal(message.payload.second, 2);
  const sending = tim.sendMessage(message).catch((error) => error);
  await settle();
  FakeXHR.made[0].onerror();
  const error = await sending;
  assert.equal(error.code, TIM.ERROR.AUDIO_UPLOAD_FAILED);
  assert.equal(error.data.message, message);
  await tim.destroy();
});
