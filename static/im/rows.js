/**
 * The message list's rows, updated in place for screen readers.
 *
 * The list sits in a live region (role=log, aria-live=polite): a screen reader reads the rows
 * added to it. chat.js builds every row afresh on each render, so putting them all in would
 * have the whole conversation read out again for each new message. Here the rows the list
 * already shows, at its start and at its end, stay the same nodes; only what changed between
 * them goes in, so a new message is read alone, and a message whose state changed (sent,
 * recalled) only itself.
 */

/**
 * Make `list`'s children equal to `rows`, keeping the longest run of equal rows at its start
 * and at its end (equal as nodes: same attributes, same content) where they are.
 *
 * A conversation opened (`quiet`) is not news: the region is silenced for the replacement,
 * and speaks again once the change has been seen (the next task).
 */
export function updateRows(list, rows, {quiet = false} = {}) {
  const old = [...list.children];
  let start = 0;
  while (start < old.length && start < rows.length && old[start].isEqualNode(rows[start])) start++;
  let end = 0;
  while (
    end < old.length - start &&
    end < rows.length - start &&
    old[old.length - 1 - end].isEqualNode(rows[rows.length - 1 - end])
  ) {
    end++;
  }
  const region = quiet ? list.closest('[aria-live]') : null;
  if (region) {
    region.setAttribute('aria-live', 'off');
    setTimeout(() => region.setAttribute('aria-live', 'polite'));
  }
  for (const row of old.slice(start, old.length - end)) row.remove();
  const before = end ? old[old.length - end] : null;
  for (const row of rows.slice(start, rows.length - end)) list.insertBefore(row, before);
}
