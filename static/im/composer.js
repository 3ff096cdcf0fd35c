// The composer's text against the server's limits, and the composer's height.
//
// The server refuses a text message whose text is over 12 KB of UTF-8
// (im/services/payloads.py MAX_BODY_BYTES), and any message whose content, as
// compact JSON, plus its cloudCustomData is over the app's max_message_bytes
// (im/services/limits.py). A refused message can never be sent, so the page
// measures both as the user types and keeps such a text in the composer.

/** The text of one text message, at most (UTF-8 bytes). */
export const MAX_TEXT_BYTES = 12 * 1024;
/** From this share of the limit on, the composer shows how much is used. */
export const COUNTER_FROM = 0.9;
/** The composer grows with its text up to this many lines, then scrolls. */
export const MAX_LINES = 8;

const encoder = new TextEncoder();

/**
 * How much of its limit `text` takes as a text message: the tighter of the
 * text's own bytes against MAX_TEXT_BYTES and of the stored content
 * (`{"text": ...}` as JSON, escapes and all, as the server measures it)
 * against the app's `maxMessageBytes`.
 */
export function textSize(text, maxMessageBytes = MAX_TEXT_BYTES) {
  const measures = [
    {used: encoder.encode(text).length, limit: MAX_TEXT_BYTES},
    {used: encoder.encode(JSON.stringify({text})).length, limit: maxMessageBytes},
  ];
  const tightest = measures.reduce((a, b) => (b.used / b.limit > a.used / a.limit ? b : a));
  return {
    ...tightest,
    over: tightest.used > tightest.limit,
    near: tightest.used >= COUNTER_FROM * tightest.limit,
  };
}

/** Bytes as KB with one decimal, a whole number of KB without. */
function kb(bytes) {
  const value = bytes / 1024;
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/**
 * What the counter says for a size from `textSize`: nothing far from the limit,
 * the size near it, and why the message cannot go over it.
 */
export function sizeText(size, {gettext, interpolate}) {
  if (!size.near) return '';
  const values = {used: kb(size.used), limit: kb(size.limit)};
  const format = size.over
    ? gettext('Too long to send: %(used)s KB of %(limit)s KB at most. Shorten it.')
    : gettext('%(used)s KB of %(limit)s KB');
  return interpolate(format, values, true);
}

/**
 * The height that shows `lines` lines of a textarea with `style` (its computed
 * style), padding and border included: the composer's greatest height.
 */
export function heightForLines(style, lines = MAX_LINES) {
  const px = (name) => parseFloat(style[name]) || 0;
  const lineHeight = px('lineHeight') || px('fontSize') * 1.2;
  const frame = ['paddingTop', 'paddingBottom', 'borderTopWidth', 'borderBottomWidth']
    .map(px)
    .reduce((a, b) => a + b, 0);
  return lineHeight * lines + frame;
}

/**
 * Fit a textarea to its text: as high as its content up to MAX_LINES lines,
 * scrolling past that; back to one line when emptied.
 */
export function fitHeight(textarea) {
  const style = getComputedStyle(textarea);
  const most = heightForLines(style);
  textarea.style.height = 'auto'; // so scrollHeight is the content's, not the old height
  const border = parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth) || 0;
  const wanted = textarea.scrollHeight + border;
  textarea.style.height = `${Math.min(wanted, most)}px`;
  textarea.style.overflowY = wanted > most ? 'auto' : 'hidden';
}
