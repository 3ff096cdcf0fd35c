/**
 * When a message was sent, as the chat page says it: day separators ("Today",
 * "Yesterday", a date), the full date and time on hover, and the conversation
 * list's short time. No DOM here, so the node tests import it as it is.
 *
 * Every function takes `now` (ms): the page passes the server's clock (its own plus
 * the skew it keeps), since message times are the server's. Days are the reader's
 * local days. `lang` is the page's <html lang>; the words come from Django's
 * JavaScript catalog as `i18n` ({gettext}).
 */

/**
 * The local calendar day of `ms` as YYYY-MM-DD: equal within one day, and what a
 * <time datetime> says of it (toISOString would give the UTC day, a day off for
 * part of every day east or west of Greenwich).
 */
export function dayKey(ms) {
  const date = new Date(ms);
  const two = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
}

/** The local day before `ms` (by the calendar, so a 23- or 25-hour day counts as one). */
function dayBefore(ms) {
  const date = new Date(ms);
  date.setDate(date.getDate() - 1);
  return date.getTime();
}

/** How long from `now` until the next local midnight, when "Today" becomes "Yesterday". */
export function untilNextDay(now) {
  const midnight = new Date(now);
  midnight.setHours(24, 0, 0, 0);
  return midnight.getTime() - now;
}

/** Whether a separator goes between a message at `previous` (ms, or null) and one at `ms`. */
export function startsNewDay(previous, ms) {
  return previous == null || dayKey(previous) !== dayKey(ms);
}

// Intl formatters are slow to build and the list redraws often.
const formats = new Map();
function format(lang, options) {
  const key = `${lang}|${JSON.stringify(options)}`;
  if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat(lang || undefined, options));
  return formats.get(key);
}

/** The day separator's text: "Today", "Yesterday", or the date in the page's language. */
export function dayLabel(ms, now, lang, {gettext}) {
  if (dayKey(ms) === dayKey(now)) return gettext('Today');
  if (dayKey(ms) === dayKey(dayBefore(now))) return gettext('Yesterday');
  const sameYear = new Date(ms).getFullYear() === new Date(now).getFullYear();
  return format(lang, {
    weekday: 'long',
    month: 'long',
    day: 'numeric',
    ...(sameYear ? {} : {year: 'numeric'}),
  }).format(ms);
}

/** The full date and time, for a title on hover. */
export function fullDateTime(ms, lang) {
  return format(lang, {dateStyle: 'full', timeStyle: 'short'}).format(ms);
}

/** The time of day alone, as a message's meta line shows it. */
export function timeOfDay(ms, lang) {
  return format(lang, {hour: '2-digit', minute: '2-digit'}).format(ms);
}

/** The conversation list's time of the last message: the time today, "Yesterday", else a short date. */
export function listTime(ms, now, lang, {gettext}) {
  if (dayKey(ms) === dayKey(now)) return timeOfDay(ms, lang);
  if (dayKey(ms) === dayKey(dayBefore(now))) return gettext('Yesterday');
  const sameYear = new Date(ms).getFullYear() === new Date(now).getFullYear();
  return format(lang, sameYear ? {month: 'numeric', day: 'numeric'} : {dateStyle: 'short'}).format(ms);
}
