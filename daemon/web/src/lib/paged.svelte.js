// Items fetched a page at a time by one Browse.Item method (`list` for a folder, `list_with_filter` for the
// filtered timeline) or a search's `list_item`, with their total: the model of every flat list of photos.

import { call, ns } from './api.js';
import { ADDITIONAL } from './days.js';

const PAGE = 500;

export class PagedItems {
  items = $state.raw([]);
  total = $state(0);
  #pending = null;

  /** `params` gives the method's parameters (filters and sort) when a page is fetched; `api` is Browse.Item's
   *  unless a search's (`Search.Search`, method `list_item`). */
  constructor(space, method, params, api = 'Browse.Item') {
    this.api = `${ns(space)}.${api}`;
    this.method = method;
    this.params = params;
  }

  /** Starts again from the first page, for a list of `total` items. */
  async reset(total) {
    this.total = total;
    this.items = [];
    await this.more();
  }

  /** The next page, unless all are here; a call while one is on its way waits for that one. */
  more() {
    if (this.items.length >= this.total) return Promise.resolve();
    this.#pending ??= call(this.api, this.method, { ...this.params(), offset: this.items.length, limit: PAGE, additional: ADDITIONAL })
      .then((page) => (this.items = [...this.items, ...page.list]))
      .finally(() => (this.#pending = null));
    return this.#pending;
  }

  /** Every item, fetching the pages not here yet. */
  async all() {
    while (this.items.length < this.total) {
      const before = this.items.length;
      await this.more();
      if (this.items.length === before) break;
    }
    return this.items;
  }

  /** Newer copies of some items (their thumbnails became ready). */
  refresh(fresh) {
    const byId = new Map(fresh.map((i) => [i.id, i]));
    this.items = this.items.map((i) => byId.get(i.id) ?? i);
  }
}

/** For an `onscroll` handler: the list is within two screens of its end, so the next page is due. It reads the
 *  event's element rather than a `bind:this`, which is null once the view is gone and a late scroll arrives. */
export function nearEnd({ currentTarget: list }) {
  return list.scrollTop + list.clientHeight * 2 > list.scrollHeight;
}
