// The media scenario (tests/test_timsdk_media.py): alice sends bob an image and a file
// from Tencent's SDK with Tencent's upload plugin (tim-upload-plugin, npm), both
// unmodified; then an image that is not one.
import TIMUploadPlugin from 'tim-upload-plugin';
import './browserio.mjs';
import { run, userOf } from './sdk.mjs';

const bytes = (base64) => Buffer.from(base64, 'base64');

function imageFacts(message) {
  return {
    ID: message.ID,
    type: message.type,
    from: message.from,
    versions: message.payload.imageInfoArray.map((v) => ({
      sizeType: v.sizeType, width: v.width, height: v.height, size: v.size,
      url: v.url, imageUrl: v.imageUrl,
    })),
  };
}

function fileFacts(message) {
  const { fileName, fileSize, fileUrl } = message.payload;
  return { ID: message.ID, type: message.type, from: message.from, fileName, fileSize, fileUrl };
}

run(async (config, record) => {
  const alice = userOf(config, 'alice');
  const bob = userOf(config, 'bob');
  alice.tim.registerPlugin({ 'tim-upload-plugin': TIMUploadPlugin });
  const TIM = alice.TIM;
  const C2C = TIM.TYPES.CONV_C2C;
  await alice.login();
  await bob.login();

  // An image: the SDK asks pre_sig, the plugin PUTs it, the SDK reads its size, sends.
  const picture = new File([bytes(config.image)], 'holiday.png', { type: 'image/png' });
  const progress = [];
  const image = alice.tim.createImageMessage({
    to: 'bob', conversationType: C2C, payload: { file: picture },
    onProgress: (p) => progress.push(p),
  });
  const sent = await alice.tim.sendMessage(image);
  record('imageSent', { code: sent.code, status: sent.data.message.status, ...imageFacts(sent.data.message) });
  record('imageProgress', progress.at(-1));
  const [gotImage] = await bob.next(TIM.EVENT.MESSAGE_RECEIVED);
  record('imageReceived', imageFacts(gotImage));

  // A file: its own name and size are the message's.
  const report = new File([bytes(config.file)], config.fileName, { type: 'application/pdf' });
  const file = alice.tim.createFileMessage({
    to: 'bob', conversationType: C2C, payload: { file: report },
  });
  const fileSent = await alice.tim.sendMessage(file);
  record('fileSent', { code: fileSent.code, ...fileFacts(fileSent.data.message) });
  const [gotFile] = await bob.next(TIM.EVENT.MESSAGE_RECEIVED);
  record('fileReceived', fileFacts(gotFile));

  // Text named .png: the SDK (which goes by the name) uploads it; Hutong refuses it.
  const fake = new File([new TextEncoder().encode('not a picture at all')], 'fake.png', { type: 'image/png' });
  const refused = alice.tim.createImageMessage({
    to: 'bob', conversationType: C2C, payload: { file: fake },
  });
  try {
    await alice.tim.sendMessage(refused);
    record('fakeRefused', null);
  } catch (error) {
    record('fakeRefused', { code: error.code, status: refused.status });
  }
  // Still talking: a text after the refusal arrives, and is bob's next message.
  await alice.tim.sendMessage(alice.tim.createTextMessage({ to: 'bob', conversationType: C2C, payload: { text: 'after' } }));
  const [next] = await bob.next(TIM.EVENT.MESSAGE_RECEIVED);
  record('nextReceived', { type: next.type, text: next.payload.text });
});
