// The chat page's dates without the page: which day a message belongs to and how
// that day and its time are said, in English and Chinese. TZ is fixed so days are known.
import {test} from 'node:test';
import assert from 'node:assert/strict';

process.env.TZ = 'Asia/Shanghai';
const {dayKey, dayLabel, fullDateTime, listTime, startsNewDay, timeOfDay, untilNextDay} = await import(
  '../../static/im/when.js'
);

const i18n = {gettext: (text) => ({Today: '今天', Yesterday: '昨天'})[text] ?? text};
const english = {gettext: (text) => text};
// Sunday 6 December 2026, 09:30 in Shanghai.
const NOW = Date.parse('2026-12-06T09:30:00+08:00');
const at = (iso) => Date.parse(`${iso}+08:00`);

test('a day is the local calendar day, from midnight to midnight', () => {
  assert.equal(dayKey(at('2026-12-06T00:00:00')), dayKey(at('2026-12-06T23:59:59')));
  assert.notEqual(dayKey(at('2026-12-05T23:59:59')), dayKey(at('2026-12-06T00:00:00')));
  assert.equal(startsNewDay(null, NOW), true);
  assert.equal(startsNewDay(at('2026-12-06T00:01:00'), NOW), false);
  assert.equal(startsNewDay(at('2026-12-05T23:59:00'), NOW), true);
});

test("a day is named by its local date, not UTC's, zero-padded as <time datetime> wants", () => {
  // 00:30 in Shanghai is still the day before in UTC.
  assert.equal(dayKey(at('2026-12-06T00:30:00')), '2026-12-06');
  assert.equal(dayKey(at('2027-01-02T23:59:59')), '2027-01-02');
});

test('the page redraws its dates at the next local midnight', () => {
  assert.equal(untilNextDay(NOW), (14 * 60 + 30) * 60 * 1000);
  assert.equal(untilNextDay(at('2026-12-06T23:59:59')), 1000);
  assert.equal(untilNextDay(at('2026-12-06T00:00:00')), 24 * 3600 * 1000);
});

test('separators: Today, Yesterday, then the weekday and date in the page\'s language', () => {
  assert.equal(dayLabel(at('2026-12-06T00:00:01'), NOW, 'en', english), 'Today');
  assert.equal(dayLabel(at('2026-12-05T23:59:59'), NOW, 'en', english), 'Yesterday');
  assert.equal(dayLabel(at('2026-12-05T08:00:00'), NOW, 'zh-hans', i18n), '昨天');
  assert.equal(dayLabel(at('2026-12-04T19:42:00'), NOW, 'en', english), 'Friday, December 4');
  assert.equal(dayLabel(at('2026-12-04T19:42:00'), NOW, 'zh-hans', i18n), '12月4日星期五');
  // Another year says which.
  assert.equal(dayLabel(at('2025-12-31T12:00:00'), NOW, 'en', english), 'Wednesday, December 31, 2025');
});

test('the full date and time for hovering, and the time alone for the meta line', () => {
  const ms = at('2026-12-04T19:42:00');
  assert.match(fullDateTime(ms, 'en'), /^Friday, December 4, 2026 at 7:42\sPM$/);
  assert.match(fullDateTime(ms, 'zh-hans'), /^2026年12月4日星期五 19:42$/);
  assert.match(timeOfDay(ms, 'en'), /^07:42\sPM$/);
  assert.equal(timeOfDay(ms, 'zh-hans'), '19:42');
});

test('the conversation list: the time today, Yesterday, else a short date', () => {
  assert.match(listTime(at('2026-12-06T08:05:00'), NOW, 'en', english), /^08:05\sAM$/);
  assert.equal(listTime(at('2026-12-06T08:05:00'), NOW, 'zh-hans', i18n), '08:05');
  assert.equal(listTime(at('2026-12-05T08:05:00'), NOW, 'zh-hans', i18n), '昨天');
  assert.equal(listTime(at('2026-12-04T19:42:00'), NOW, 'en', english), '12/4');
  assert.equal(listTime(at('2026-12-04T19:42:00'), NOW, 'zh-hans', i18n), '12/4');
  assert.equal(listTime(at('2025-03-01T10:00:00'), NOW, 'en', english), '3/1/25');
});

test('Yesterday is the calendar day before, even across a daylight-saving change', async () => {
  // Run in a zone with DST: the day before 10 March 2025 01:00 in New York is 9 March.
  const {execFileSync} = await import('node:child_process');
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
    const {dayLabel} = await import(${JSON.stringify(new URL('../../static/im/when.js', import.meta.url).href)});
    const now = Date.parse('2025-03-10T00:30:00-04:00');
    console.log(dayLabel(Date.parse('2025-03-09T00:10:00-05:00'), now, 'en', {gettext: (t) => t}));
  `], {env: {...process.env, TZ: 'America/New_York'}}).toString().trim();
  assert.equal(out, 'Yesterday');
});
