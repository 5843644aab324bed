// Hash routes, so that every view is a link that survives a reload: `#/personal/timeline`, `#/shared/folder/12`,
// `#/personal/timeline/item/345` (the viewer open over the timeline), `#/about`.

import { writable } from 'svelte/store';

function parse(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const space = parts[0] === 'shared' ? 'shared' : 'personal';
  if (parts[0] === 'about') return { space: 'personal', view: 'about' };
  const view = parts[1] === 'folder' ? 'folder' : 'timeline';
  const folderId = view === 'folder' ? Number(parts[2] ?? 0) || 0 : null;
  const rest = view === 'folder' ? parts.slice(3) : parts.slice(2);
  const itemId = rest[0] === 'item' ? Number(rest[1]) || null : null;
  return { space, view, folderId, itemId };
}

export function href({ space = 'personal', view = 'timeline', folderId = 0, itemId = null }) {
  if (view === 'about') return '#/about';
  const base = view === 'folder' ? `#/${space}/folder/${folderId}` : `#/${space}/timeline`;
  return itemId ? `${base}/item/${itemId}` : base;
}

export const route = writable(parse(location.hash));
window.addEventListener('hashchange', () => route.set(parse(location.hash)));

export function go(to, { replace = false } = {}) {
  const target = href(to);
  if (replace) history.replaceState(null, '', target);
  else history.pushState(null, '', target);
  route.set(parse(target));
}
