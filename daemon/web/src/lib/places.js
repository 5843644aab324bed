// Places as cover tiles (CoverTiles): each opens its place; its cover is one of its photos, whose thumbnail the
// answer carries (Browse.Geocoding with additional thumbnail).

import { href } from './router.js';

export const placeTiles = (places) =>
  places.map((place) => ({
    key: place.id,
    href: href({ view: 'place', placeId: place.id }),
    name: place.path?.at(-1)?.name ?? place.name,
    count: place.item_count,
    cover: place.additional?.thumbnail && { id: place.additional.thumbnail.unit_id, additional: place.additional },
    data: { 'data-place': place.id },
  }));
