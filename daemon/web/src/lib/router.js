// Hash routes, so that every view is a link that survives a reload: `#/personal/timeline`, `#/shared/folder/12`,
// `#/personal/timeline/item/345` (the viewer open over the timeline), `#/personal/albums`,
// `#/personal/album/7/item/345`, `#/personal/people`, `#/personal/person/9/item/345`, `#/personal/sharing`,
// `#/personal/places`, `#/personal/place/4/item/345`, `#/personal/map` (`#/personal/map/48.85,2.35,12`: centred
// there, at that zoom), `#/personal/area/48.8,2.3,48.9,2.4/item/345` (a map cluster's photos: south, west, north,
// east), `#/personal/subjects`, `#/personal/subject/12/item/345`, `#/personal/search/<text>/item/345`, `#/about`,
// `#/settings`; the automatic albums `#/personal/videos`, `#/personal/recent`, `#/personal/tags` and
// `#/personal/tag/5/item/345`. Albums, People, Places, Subjects, Tags and search are the Personal Space's.

import { writable } from 'svelte/store';

function parse(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const space = parts[0] === 'shared' ? 'shared' : 'personal';
  if (parts[0] === 'about') return { space: 'personal', view: 'about' };
  if (parts[0] === 'settings') return { space: 'personal', view: 'settings' };
  if (space === 'personal' && ['videos', 'recent', 'tags'].includes(parts[1])) {
    const itemId = parts[2] === 'item' ? Number(parts[3]) || null : null;
    return { space, view: parts[1], itemId };
  }
  if (space === 'personal' && parts[1] === 'albums') return { space, view: 'albums' };
  if (space === 'personal' && parts[1] === 'people') return { space, view: 'people' };
  if (space === 'personal' && parts[1] === 'sharing') return { space, view: 'sharing' };
  if (space === 'personal' && parts[1] === 'places') return { space, view: 'places' };
  if (space === 'personal' && parts[1] === 'subjects') return { space, view: 'subjects' };
  if (space === 'personal' && parts[1] === 'search') {
    const itemId = parts[3] === 'item' ? Number(parts[4]) || null : null;
    return { space, view: 'search', query: decodeURIComponent(parts[2] ?? ''), itemId };
  }
  if (space === 'personal' && parts[1] === 'map') return { space, view: 'map', at: parts[2] ?? '' };
  if (space === 'personal' && parts[1] === 'area') {
    const itemId = parts[3] === 'item' ? Number(parts[4]) || null : null;
    return { space, view: 'area', area: parts[2] ?? '', itemId };
  }
  const view = ['folder', 'album', 'person', 'place', 'subject', 'tag'].includes(parts[1]) ? parts[1] : 'timeline';
  const id = view === 'timeline' ? null : Number(parts[2] ?? 0) || 0;
  const rest = view === 'timeline' ? parts.slice(2) : parts.slice(3);
  const itemId = rest[0] === 'item' ? Number(rest[1]) || null : null;
  return {
    space,
    view,
    folderId: view === 'folder' ? id : null,
    albumId: view === 'album' ? id : null,
    personId: view === 'person' ? id : null,
    placeId: view === 'place' ? id : null,
    conceptId: view === 'subject' ? id : null,
    tagId: view === 'tag' ? id : null,
    itemId,
  };
}

export function href({ space = 'personal', view = 'timeline', folderId = 0, albumId = 0, personId = 0, placeId = 0, conceptId = 0, tagId = 0, area = '', at = '', query = '', itemId = null }) {
  if (view === 'about') return '#/about';
  if (view === 'settings') return '#/settings';
  if (view === 'places') return '#/personal/places';
  if (view === 'subjects') return '#/personal/subjects';
  if (view === 'map') return at ? `#/personal/map/${at}` : '#/personal/map';
  if (view === 'albums') return '#/personal/albums';
  if (view === 'people') return '#/personal/people';
  if (view === 'sharing') return '#/personal/sharing';
  const base = {
    folder: `#/${space}/folder/${folderId}`,
    album: `#/personal/album/${albumId}`,
    person: `#/personal/person/${personId}`,
    place: `#/personal/place/${placeId}`,
    area: `#/personal/area/${area}`,
    subject: `#/personal/subject/${conceptId}`,
    tag: `#/personal/tag/${tagId}`,
    videos: '#/personal/videos',
    recent: '#/personal/recent',
    tags: '#/personal/tags',
    search: `#/personal/search/${encodeURIComponent(query)}`,
  }[view] ?? `#/${space}/timeline`;
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
