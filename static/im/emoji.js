/**
 * Emoji for the chat page: TIM's text tokens (`[微笑]`) shown as Unicode emoji.
 *
 * TIM apps put emoji into text messages as bracketed Chinese names from the
 * classic QQ set and map them to pictures when rendering; the tokens themselves
 * are what travels, so any TIM client shows the same message. Hutong maps them
 * to Unicode emoji instead of shipping pictures.
 *
 * The position in FACES is also the face index: a TIMFaceElem with `index: 1`
 * shows the second face. The first three follow the order of the guide's own
 * example map (`emoji_0` 微笑, `emoji_1` 呲牙, `emoji_2` 下雨).
 */

/** [name, emoji] pairs: the token is `[name]`. */
const FACES = [
  ['微笑', '😊'],
  ['呲牙', '😁'],
  ['下雨', '🌧️'],
  ['大笑', '😆'],
  ['偷笑', '🤭'],
  ['可爱', '🥰'],
  ['害羞', '😳'],
  ['色', '😍'],
  ['亲亲', '😘'],
  ['得意', '😎'],
  ['调皮', '😜'],
  ['憨笑', '😃'],
  ['尴尬', '😅'],
  ['发呆', '😶'],
  ['疑问', '❓'],
  ['惊讶', '😮'],
  ['惊恐', '😱'],
  ['流汗', '😓'],
  ['流泪', '😢'],
  ['大哭', '😭'],
  ['委屈', '🥺'],
  ['难过', '🙁'],
  ['撇嘴', '😕'],
  ['白眼', '🙄'],
  ['傲慢', '😤'],
  ['鄙视', '😒'],
  ['阴险', '😏'],
  ['生气', '😠'],
  ['咒骂', '🤬'],
  ['困', '😪'],
  ['睡', '😴'],
  ['晕', '😵'],
  ['衰', '😩'],
  ['吐', '🤮'],
  ['嘘', '🤫'],
  ['奋斗', '💪'],
  ['骷髅', '💀'],
  ['敲打', '🔨'],
  ['再见', '👋'],
  ['鼓掌', '👏'],
  ['强', '👍'],
  ['弱', '👎'],
  ['握手', '🤝'],
  ['胜利', '✌️'],
  ['抱拳', '🙏'],
  ['拳头', '👊'],
  ['OK', '👌'],
  ['拥抱', '🤗'],
  ['爱心', '❤️'],
  ['心碎', '💔'],
  ['玫瑰', '🌹'],
  ['凋谢', '🥀'],
  ['咖啡', '☕'],
  ['啤酒', '🍺'],
  ['蛋糕', '🎂'],
  ['西瓜', '🍉'],
  ['礼物', '🎁'],
  ['红包', '🧧'],
  ['炸弹', '💣'],
  ['便便', '💩'],
  ['闪电', '⚡'],
  ['太阳', '☀️'],
  ['月亮', '🌙'],
  ['猪头', '🐷'],
];

/** Every face as {token, emoji, index}, in picker order. */
export const EMOJI = Object.freeze(
  FACES.map(([name, emoji], index) => Object.freeze({token: `[${name}]`, emoji, index})),
);

const BY_TOKEN = new Map(EMOJI.map((face) => [face.token, face]));

// A bracketed run with no bracket inside: the only shape a token can have. What it
// matches is a token only if the map knows it; anything else stays text.
const TOKEN_SHAPE = /\[[^[\]]{1,8}\]/g;

/**
 * Split text into plain runs and known tokens, in order.
 * @param {string} text
 * @returns {({text: string}|{token: string, emoji: string})[]}
 */
export function parseText(text) {
  const parts = [];
  let start = 0;
  for (const match of text.matchAll(TOKEN_SHAPE)) {
    const face = BY_TOKEN.get(match[0]);
    if (!face) continue;
    if (match.index > start) parts.push({text: text.slice(start, match.index)});
    parts.push({token: face.token, emoji: face.emoji});
    start = match.index + match[0].length;
  }
  if (start < text.length) parts.push({text: text.slice(start)});
  return parts;
}

/** The element showing one face: the emoji, with its token for copying and screen readers. */
export function emojiElement(face) {
  const span = document.createElement('span');
  span.className = 'emoji';
  span.dataset.token = face.token;
  span.title = face.token;
  span.setAttribute('role', 'img');
  span.setAttribute('aria-label', face.token);
  span.textContent = face.emoji;
  return span;
}

/**
 * Append `text` to `parent` with its tokens as emoji: text nodes and spans only,
 * never HTML, so what a user typed cannot become markup.
 * @param {Element} parent
 * @param {string} text
 */
export function appendText(parent, text) {
  for (const part of parseText(text)) {
    parent.append(part.token ? emojiElement(part) : document.createTextNode(part.text));
  }
}

/**
 * The face a TIMFaceElem stands for, or null when the index is not one of ours.
 * @param {number} index
 */
export function faceAt(index) {
  return Number.isInteger(index) && index >= 0 && index < EMOJI.length ? EMOJI[index] : null;
}
