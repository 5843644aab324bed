// The timeline's model: every day of the space with its item count (from Browse.Timeline), where it sits in the
// scrolling page, and its items once loaded (Browse.Item list, newest first, fetched by the run of days in view).
// Plain objects, not reactive state: a big library has thousands of days, and only the ones in view are drawn.

import { call, ns } from './api.js';
import { aspect, estimate, justify, targetHeight } from './layout.js';

export const HEADER = 44;
const SPACING = 12;
const BATCH = 2000;
export const ADDITIONAL = ['thumbnail', 'resolution', 'orientation'];

/** In `list`, sorted by `key`, the index of the last entry whose `key` is at most `value` (0 if none is). */
function lastAtOrBefore(list, key, value) {
  let lo = 0;
  let hi = list.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (list[mid][key] <= value) lo = mid;
    else hi = mid - 1;
  }
  return Math.max(0, lo);
}

export class Days {
  constructor(space) {
    this.space = space;
    this.days = [];
    this.total = 0;
    this.height = 0;
    this.width = 0;
  }

  /** Reads the day counts; items load later, as days come into view. */
  async load() {
    const answer = await call(`${ns(this.space)}.Browse.Timeline`, 'get', { timeline_group_unit: 'day' });
    // Synology splits the timeline into sections of a few thousand items each, in order.
    const list = (answer.section ?? []).flatMap((section) => section.list);
    let offset = 0;
    this.days = list.map((d) => {
      const day = { key: `${d.year}-${d.month}-${d.day}`, year: d.year, month: d.month, day: d.day, count: d.item_count, offset, items: null, layout: null, top: 0, height: 0 };
      offset += d.item_count;
      return day;
    });
    this.total = offset;
  }

  /** Places every day for this width: loaded days exactly, the others by estimate. */
  place(width) {
    this.width = width;
    const target = targetHeight(width);
    let top = 0;
    for (const d of this.days) {
      if (d.items && d.layoutWidth !== width) {
        d.layout = justify(d.items.map(aspect), width, target);
        d.layoutWidth = width;
      }
      d.top = top;
      d.height = HEADER + (d.layout ? d.layout.height : estimate(d.count, width, target));
      top += d.height + SPACING;
    }
    this.height = top;
  }

  /** The index of the day at `y` (or the last one above it). */
  indexAt(y) {
    return lastAtOrBefore(this.days, 'top', y);
  }

  /** The days between two heights of the page. */
  between(from, to) {
    const out = [];
    for (let i = this.indexAt(from); i < this.days.length && this.days[i].top < to; i += 1) out.push(this.days[i]);
    return out;
  }

  /** Loads the items of these days that are not loaded, in runs of neighbouring days. */
  async fill(days) {
    const wanted = days.filter((d) => !d.items && !d.loading);
    const runs = [];
    for (const d of wanted) {
      const run = runs.at(-1);
      if (run && run.at(-1).offset + run.at(-1).count === d.offset && run.reduce((n, x) => n + x.count, 0) < BATCH) run.push(d);
      else runs.push([d]);
    }
    await Promise.all(runs.map((run) => this.#fillRun(run)));
    return wanted.length > 0;
  }

  async #fillRun(run) {
    run.forEach((d) => (d.loading = true));
    const first = run[0].offset;
    const count = run.reduce((n, d) => n + d.count, 0);
    const items = [];
    try {
      while (items.length < count) {
        const limit = Math.min(BATCH, count - items.length);
        const page = await call(`${ns(this.space)}.Browse.Item`, 'list', { offset: first + items.length, limit, sort_by: 'takentime', sort_direction: 'desc', additional: ADDITIONAL });
        items.push(...page.list);
        if (page.list.length < limit) break;
      }
    } finally {
      run.forEach((d) => (d.loading = false));
    }
    for (const d of run) {
      d.items = items.slice(d.offset - first, d.offset - first + d.count);
      d.layoutWidth = null;
    }
  }

  /** The item at a place in the whole timeline (loading its day if needed), or null past either end. */
  async itemAt(index) {
    if (index < 0 || index >= this.total) return null;
    const day = this.days[lastAtOrBefore(this.days, 'offset', index)];
    if (!day.items) await this.fill([day]);
    return day.items?.[index - day.offset] ?? null;
  }

  /** Where a loaded item is in the whole timeline, or -1. */
  indexOf(id) {
    for (const d of this.days) {
      const i = d.items?.findIndex((item) => item.id === id) ?? -1;
      if (i >= 0) return d.offset + i;
    }
    return -1;
  }

  /** The day an item's time falls on (the API's times are local time as seconds in UTC). */
  dayOf(item) {
    const date = new Date(item.time * 1000);
    const key = `${date.getUTCFullYear()}-${date.getUTCMonth() + 1}-${date.getUTCDate()}`;
    return this.days.find((d) => d.key === key) ?? null;
  }

  /** Replaces loaded items with fresher copies (thumbnails that became ready). */
  update(items) {
    const fresh = new Map(items.map((i) => [i.id, i]));
    for (const d of this.days) {
      if (!d.items) continue;
      d.items = d.items.map((i) => fresh.get(i.id) ?? i);
    }
  }
}

/** The ids of the items from place `from` to place `to` (both included) in a space's timeline. */
export async function idsBetween(space, from, to) {
  const ids = [];
  const [lo, hi] = from <= to ? [from, to] : [to, from];
  for (let offset = lo; offset <= hi; offset += BATCH) {
    const limit = Math.min(BATCH, hi - offset + 1);
    const page = await call(`${ns(space)}.Browse.Item`, 'list', { offset, limit, sort_by: 'takentime', sort_direction: 'desc' });
    ids.push(...page.list.map((i) => i.id));
    if (page.list.length < limit) break;
  }
  return ids;
}

/** Items by id, fetched 50 at a time as they are asked for: a slideshow of a selection or a filtered list. */
export function itemsById(space, ids) {
  const cache = new Map();
  return {
    count: ids.length,
    async itemAt(i) {
      if (!cache.has(ids[i])) {
        const { list } = await call(`${ns(space)}.Browse.Item`, 'get', { id: ids.slice(i, i + 50), additional: ADDITIONAL });
        list.forEach((item) => cache.set(item.id, item));
      }
      return cache.get(ids[i]);
    },
  };
}
