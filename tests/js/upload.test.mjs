// Media messages without a browser: TIM's file checks and codes, names, progress,
// where the PUT goes, and the payloads shown and sent.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {
  MB,
  Progress,
  checkedFile,
  fileNameOf,
  pickFile,
  previewPayload,
  putOutcome,
  uploadURL,
  wirePayload,
} from '../../static/im/tim/upload.js';
import {TYPES} from '../../static/im/tim/constants.js';
import {ERROR} from '../../static/im/tim/errors.js';
import {codeOf} from './asserts.mjs';

const file = (name, type, size = 10) => new File([new Uint8Array(size)], name, {type});
// A Blob that claims a size without holding it: the limits are about `size` only.
const huge = (type, size) =>
  Object.create(Blob.prototype, {type: {value: type}, size: {value: size}, name: {value: 'x'}});

test('payload.file: an input element\'s first file, a File or Blob, or a recorder result', () => {
  const png = file('a.png', 'image/png');
  assert.equal(pickFile({files: [png]}).file, png);
  assert.equal(pickFile(png).file, png);
  const blob = new Blob(['x'], {type: 'audio/webm'});
  assert.deepEqual(pickFile({file: blob, duration: 2100}), {file: blob, duration: 2100});
  assert.deepEqual(pickFile({blob, duration: -1}), {file: blob, duration: 0});
  assert.equal(pickFile({files: []}), null);
  assert.equal(pickFile('a.png'), null);
  assert.equal(pickFile(undefined), null);
});

test('no file: each type\'s own code, before anything is uploaded', () => {
  assert.equal(codeOf(() => checkedFile(TYPES.MSG_IMAGE, {file: {files: []}})), 2251);
  assert.equal(codeOf(() => checkedFile(TYPES.MSG_FILE, {})), 2401);
  assert.equal(codeOf(() => checkedFile(TYPES.MSG_VIDEO, {file: null})), 2350);
  assert.equal(codeOf(() => checkedFile(TYPES.MSG_AUDIO, {file: {duration: 3}})), 2300);
});

test('an empty file is 2108 whatever the type', () => {
  for (const type of [TYPES.MSG_IMAGE, TYPES.MSG_FILE, TYPES.MSG_VIDEO, TYPES.MSG_AUDIO]) {
    assert.equal(codeOf(() => checkedFile(type, {file: file('e.png', 'image/png', 0)})), ERROR.FILE_EMPTY);
  }
});

test('types: images, mp4/mov videos and recorder formats; any file', () => {
  assert.equal(codeOf(() => checkedFile(TYPES.MSG_IMAGE, {file: file('a.svg', 'image/svg+xml')})), 2252);
  assert.equal(codeOf(() => checkedFile(TYPES.MSG_IMAGE, {file: file('a.exe', '')})), 2252);
  assert.equal(codeOf(() => checkedFile(TYPES.MSG_VIDEO, {file: file('a.avi', 'video/x-msvideo')})), 2352);
  assert.equal(codeOf(() => checkedFile(TYPES.MSG_AUDIO, {file: file('a.mid', 'audio/midi')})), 2300);
  // A missing type is told by the extension; the recorder's parameters are kept.
  assert.equal(checkedFile(TYPES.MSG_IMAGE, {file: file('shot.JPG', '')}).contentType, 'image/jpeg');
  const voice = new Blob(['x'], {type: 'audio/webm;codecs=opus'});
  const checked = checkedFile(TYPES.MSG_AUDIO, {file: {file: voice, duration: 2000}});
  assert.equal(checked.contentType, 'audio/webm;codecs=opus');
  assert.equal(checked.fileName, 'audio.webm');
  assert.equal(checked.duration, 2000);
  const any = checkedFile(TYPES.MSG_FILE, {file: file('notes', '')});
  assert.equal(any.contentType, 'application/octet-stream');
  assert.equal(checkedFile(TYPES.MSG_VIDEO, {file: file('c.mov', 'video/quicktime')}).kind, 'video');
});

test('sizes: TIM\'s 28 MB for images and voice, 100 MB for videos and files', () => {
  assert.equal(codeOf(() => checkedFile(TYPES.MSG_IMAGE, {file: huge('image/png', 28 * MB + 1)})), 2253);
  assert.equal(checkedFile(TYPES.MSG_IMAGE, {file: huge('image/png', 28 * MB)}).fileSize, 28 * MB);
  assert.equal(codeOf(() => checkedFile(TYPES.MSG_AUDIO, {file: huge('audio/ogg', 28 * MB + 1)})), 2301);
  assert.equal(codeOf(() => checkedFile(TYPES.MSG_VIDEO, {file: huge('video/mp4', 100 * MB + 1)})), 2351);
  assert.equal(codeOf(() => checkedFile(TYPES.MSG_FILE, {file: huge('', 100 * MB + 1)})), 2402);
  assert.equal(checkedFile(TYPES.MSG_FILE, {file: huge('', 100 * MB)}).fileSize, 100 * MB);
});

test('file names are kept as text, minus what the server refuses, at most 255 characters', () => {
  assert.equal(fileNameOf({name: '<b>报告</b>.pdf'}, 'file', ''), '<b>报告<_b>.pdf');
  assert.equal(fileNameOf({name: 'a\\b\u0000c\u200bd e.txt'}, 'file', ''), 'a_b_c_d e.txt');
  assert.equal(fileNameOf(new Blob([]), 'image', 'image/png'), 'image.png');
  assert.equal(fileNameOf({name: '..'}, 'file', 'application/x-thing'), 'file.bin');
  const long = fileNameOf({name: `${'长'.repeat(300)}.docx`}, 'file', '');
  assert.equal(Array.from(long).length, 255);
  assert.ok(long.endsWith('长.docx'));
  const emoji = fileNameOf({name: `${'😀'.repeat(300)}`}, 'file', '');
  assert.equal(Array.from(emoji).length, 255, 'cut between characters, not inside one');
});

test('a path to PUT to is on the server the SDK talks to; a store\'s URL is kept', () => {
  assert.equal(
    uploadURL('/im/uploads/?t=abc:1', 'ws://127.0.0.1:8000/ws/im/'),
    'http://127.0.0.1:8000/im/uploads/?t=abc:1',
  );
  assert.equal(
    uploadURL('/im/uploads/?t=x', 'wss://chat.example.com/ws/im/'),
    'https://chat.example.com/im/uploads/?t=x',
  );
  const presigned = 'https://bucket.cos.ap-guangzhou.myqcloud.com/1/u/original?X-Amz-Signature=s';
  assert.equal(uploadURL(presigned, 'wss://chat.example.com/ws/im/'), presigned);
});

test('progress: 0 to 1, weighted by size, never back, each value once', () => {
  const seen = [];
  const progress = new Progress([100, 900], (p) => seen.push(p));
  progress.start();
  progress.update(0, 50);
  progress.update(0, 100);
  progress.update(1, 450);
  progress.update(1, 0); // a part retried from the start
  progress.update(1, 452); // moved less than a hundredth
  progress.update(1, 900);
  progress.done();
  assert.deepEqual(seen, [0, 0.05, 0.1, 0.55, 1]);
});

test('a broken onProgress does not break the upload', () => {
  const progress = new Progress([10], () => {
    throw new Error('page bug');
  });
  progress.update(0, 5);
  progress.done();
});

test('the preview is TIM\'s payload with the local URL; the wire names the uploads', () => {
  const checked = checkedFile(TYPES.MSG_IMAGE, {file: file('a.png', 'image/png', 1234)});
  const image = previewPayload(TYPES.MSG_IMAGE, checked, 'blob:x');
  assert.equal(image.imageFormat, 3);
  assert.deepEqual(image.imageInfoArray.map((v) => [v.type, v.sizeType, v.url]), [
    [0, 1, 'blob:x'],
    [2, 2, 'blob:x'],
    [1, 3, 'blob:x'],
  ]);
  const doc = previewPayload(TYPES.MSG_FILE, checkedFile(TYPES.MSG_FILE, {file: file('r.pdf', '')}), 'blob:y');
  assert.deepEqual(doc, {uuid: '', fileName: 'r.pdf', fileSize: 10, fileUrl: 'blob:y', downloadFlag: 2});
  const voice = {file: new Blob(['x'], {type: 'audio/webm'}), duration: 2400};
  assert.equal(previewPayload(TYPES.MSG_AUDIO, checkedFile(TYPES.MSG_AUDIO, {file: voice}), 'u').second, 2);

  assert.deepEqual(wirePayload(TYPES.MSG_IMAGE, {image: {uuid: 'i'}}), {uuid: 'i'});
  assert.deepEqual(wirePayload(TYPES.MSG_FILE, {file: {uuid: 'f'}}), {uuid: 'f'});
  assert.deepEqual(wirePayload(TYPES.MSG_AUDIO, {audio: {uuid: 'a'}}, {duration: 1600}), {
    uuid: 'a',
    second: 2,
  });
  assert.deepEqual(
    wirePayload(TYPES.MSG_VIDEO, {video: {uuid: 'v'}, snapshot: {uuid: 's'}}, {videoSeconds: 4.6}),
    {videoUUID: 'v', thumbUUID: 's', videoSecond: 5},
  );
});

test('a PUT\'s answer: 2xx is up, the server\'s JSON error keeps its code, the rest failed', () => {
  assert.equal(putOutcome(204, '', 2400), null);
  assert.equal(putOutcome(400, '{"code": 2402, "message": "too big"}', 2400).code, 2402);
  const expired = putOutcome(403, '{"code": 403}', 2300);
  assert.equal(expired.code, 2300);
  assert.match(expired.message, /expired/);
  assert.equal(putOutcome(500, '<Error/>', 2350).code, 2350);
});
