// Which parts of a text message become links, without the page.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {parseLinks, safeHref} from '../../static/im/links.js';

const links = (text) => parseLinks(text).filter((part) => part.href).map((part) => part.text);

test('http and https URLs are links; the text around them stays text', () => {
  assert.deepEqual(parseLinks('see https://example.com/a?b=1#c now'), [
    {text: 'see '},
    {text: 'https://example.com/a?b=1#c', href: 'https://example.com/a?b=1#c'},
    {text: ' now'},
  ]);
  assert.deepEqual(links('HTTP://Example.com and http://b.org'), ['HTTP://Example.com', 'http://b.org']);
  assert.deepEqual(parseLinks('no links here'), [{text: 'no links here'}]);
  assert.deepEqual(parseLinks(''), []);
});

test('punctuation after a URL ends the sentence, not the link', () => {
  assert.deepEqual(links('Read https://example.com/page.'), ['https://example.com/page']);
  assert.deepEqual(links('(see https://example.com/x), ok?'), ['https://example.com/x']);
  assert.deepEqual(links('https://en.wikipedia.org/wiki/Hutong_(street))!'), [
    'https://en.wikipedia.org/wiki/Hutong_(street)',
  ]);
  assert.deepEqual(links('看这个https://example.com/路，很好。'), ['https://example.com/路']);
  assert.deepEqual(links('"https://example.com/q"'), ['https://example.com/q']);
  const parts = parseLinks('Go: https://a.com/x.');
  assert.equal(parts.at(-1).text, '.');
});

test('an emoji token right after a URL stays a token', () => {
  assert.deepEqual(parseLinks('https://example.com[微笑]'), [
    {text: 'https://example.com', href: 'https://example.com/'},
    {text: '[微笑]'},
  ]);
});

test('nothing but http(s) with a host is ever a link', () => {
  for (const text of [
    'javascript:alert(1)',
    'JAVASCRIPT://example.com/%0Aalert(1)',
    'data:text/html,<b>x</b>',
    'ftp://example.com/file',
    'mailto:a@example.com',
    'https://',
    'http://.',
    'xhttps://example.com',
  ]) {
    assert.deepEqual(links(text), [], text);
  }
  assert.equal(safeHref('javascript:alert(1)'), null);
  assert.equal(safeHref('https://example.com/<x>'), 'https://example.com/%3Cx%3E');
  // Markup in a URL's neighbourhood is never part of it.
  assert.deepEqual(links('https://a.com/"><img src=x onerror=alert(1)>'), ['https://a.com/']);
});
