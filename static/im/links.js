/**
 * Links in text messages: http(s) URLs made clickable, and nothing else.
 *
 * Only the URL's own characters become a link, built with DOM methods: the href is
 * set from a URL that parsed as http: or https:, the text stays text, so a message
 * can never become markup or a javascript: link. The rest of the text keeps its
 * emoji tokens (emoji.js).
 */
import {appendText} from './emoji.js';

// A URL runs to whitespace, to a quote or angle bracket, to a square bracket (an emoji
// token such as [微笑] may follow it directly) or to CJK punctuation (，。） and the like).
const URL_SHAPE = /\bhttps?:\/\/[^\s<>"'[\]\u3000-\u303f\uff00-\uffef]+/giu;
// Punctuation that ends a sentence rather than a URL.
const TRAILING = /[.,;:!?*_~]$/u;

/** `url` without the punctuation after it: "a.com/x)." → "a.com/x" unless its "(" is in it. */
function trimUrl(url) {
  let end = url;
  for (;;) {
    if (TRAILING.test(end)) end = end.slice(0, -1);
    else if (end.endsWith(')') && count(end, ')') > count(end, '(')) end = end.slice(0, -1);
    else return end;
  }
}

function count(text, char) {
  return text.split(char).length - 1;
}

/** The href of `text` when it is an http(s) URL with a host, else null. */
export function safeHref(text) {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * Split text into plain runs and links, in order.
 * @param {string} text
 * @returns {({text: string}|{text: string, href: string})[]}
 */
export function parseLinks(text) {
  const parts = [];
  let start = 0;
  for (const match of text.matchAll(URL_SHAPE)) {
    const url = trimUrl(match[0]);
    const href = safeHref(url);
    if (!href || url.length <= match[0].indexOf('//') + 2) continue;
    if (match.index > start) parts.push({text: text.slice(start, match.index)});
    parts.push({text: url, href});
    start = match.index + url.length;
  }
  if (start < text.length) parts.push({text: text.slice(start)});
  return parts;
}

/** A link that opens in a new tab and tells the site neither who opened it nor where from. */
export function linkElement({text, href}) {
  const link = document.createElement('a');
  link.className = 'message-link';
  link.href = href;
  link.target = '_blank';
  link.rel = 'noopener noreferrer';
  link.textContent = text;
  return link;
}

/** Append a text message to `parent`: its URLs as links, its emoji tokens as emoji. */
export function appendMessageText(parent, text) {
  for (const part of parseLinks(text)) {
    if (part.href) parent.append(linkElement(part));
    else appendText(parent, part.text);
  }
}
