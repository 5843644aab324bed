// Clicks on a grid of items, as every paged view (an album, a person) takes them: a click opens the viewer, a
// shift-click (or any click while something is selected) selects, a click with a modifier is the browser's; and
// the viewer's steps, which fetch the next page when they reach its end.

/** `items()` gives the items shown; `show(id, replace)` opens the viewer on one. */
export function gridClicks(selection, items, show) {
  const select = (event, item) => {
    event.preventDefault();
    selection.clickIn(items(), item, event.shiftKey);
  };
  const open = (event, item) => {
    if (selection.size || event.shiftKey) return select(event, item);
    if (event.metaKey || event.ctrlKey) return;
    event.preventDefault();
    show(item.id, false);
  };
  return { select, open };
}

/** Moves the viewer from `index` by `delta` through a PagedItems list. */
export async function stepViewer(paged, index, delta, show) {
  if (index + delta >= paged.items.length) await paged.more();
  const item = paged.items[index + delta];
  if (item) show(item.id, true);
}
