// The composer's size check, measured as the server measures (im/services/payloads.py's
// 12 KB of text, im/services/limits.py's compact JSON content against max_message_bytes),
// its counter's words, and the height that shows eight lines.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {COUNTER_FROM, MAX_LINES, MAX_TEXT_BYTES, heightForLines, sizeText, textSize} from '../../static/im/composer.js';

const i18n = {
  gettext: (s) => s,
  interpolate: (format, values) => format.replace(/%\((\w+)\)s/g, (_, name) => values[name]),
};
const JSON_FRAME = '{"text":""}'.length; // what the content adds around the text

test("the text's limit is the server's MAX_BODY_BYTES", () => {
  const payloads = readFileSync(new URL('../../im/services/payloads.py', import.meta.url), 'utf8');
  assert.match(payloads, /^MAX_BODY_BYTES = 12 \* 1024$/m);
  assert.equal(MAX_TEXT_BYTES, 12 * 1024);
});

test('the stored content is measured as compact JSON of UTF-8, escapes included', () => {
  assert.equal(textSize('hi').used, 2 + JSON_FRAME);
  assert.equal(textSize('汉字').used, 6 + JSON_FRAME); // three bytes a letter, not escaped
  assert.equal(textSize('a"b\\c\nd').used, 10 + JSON_FRAME); // \" \\ \n take two each
  assert.equal(textSize('\u0001').used, 6 + JSON_FRAME); // other controls: \u0001
  assert.equal(textSize('😀').used, 4 + JSON_FRAME);
});

test('a text just at the limit goes; one byte more does not', () => {
  const most = 'a'.repeat(MAX_TEXT_BYTES - JSON_FRAME);
  assert.deepEqual(textSize(most), {used: MAX_TEXT_BYTES, limit: MAX_TEXT_BYTES, over: false, near: true});
  assert.equal(textSize(`${most}a`).over, true);
  assert.equal(textSize('汉'.repeat(4093)).over, true); // 12279 bytes of text + the frame
  assert.equal(textSize('汉'.repeat(4092)).over, false);
});

test("a smaller app limit is the tighter one; a larger one leaves the text's own", () => {
  assert.deepEqual(textSize('a'.repeat(2048), 2048), {used: 2048 + JSON_FRAME, limit: 2048, over: true, near: true});
  const big = textSize('a'.repeat(MAX_TEXT_BYTES + 1), 64 * 1024);
  assert.deepEqual(big, {used: MAX_TEXT_BYTES + 1, limit: MAX_TEXT_BYTES, over: true, near: true});
  assert.equal(textSize('a'.repeat(20000), 64 * 1024).over, true);
});

test('the counter shows from 90% of the limit, and says why past it', () => {
  const from = Math.ceil(COUNTER_FROM * MAX_TEXT_BYTES) - JSON_FRAME;
  assert.equal(sizeText(textSize('a'.repeat(from - 1)), i18n), '');
  assert.equal(sizeText(textSize('a'.repeat(from)), i18n), '10.8 KB of 12 KB');
  assert.equal(sizeText(textSize('a'.repeat(MAX_TEXT_BYTES - JSON_FRAME)), i18n), '12 KB of 12 KB');
  assert.equal(
    sizeText(textSize('a'.repeat(13 * 1024)), i18n),
    'Too long to send: 13.0 KB of 12 KB at most. Shorten it.',
  );
});

test('eight lines high, padding and border included; "normal" line height from the font size', () => {
  const style = {
    lineHeight: '20px', fontSize: '16px', paddingTop: '8px', paddingBottom: '8px',
    borderTopWidth: '1px', borderBottomWidth: '1px',
  };
  assert.equal(MAX_LINES, 8);
  assert.equal(heightForLines(style), 8 * 20 + 18);
  assert.equal(heightForLines(style, 2), 2 * 20 + 18);
  assert.equal(heightForLines({...style, lineHeight: 'normal'}), 8 * 16 * 1.2 + 18);
});
