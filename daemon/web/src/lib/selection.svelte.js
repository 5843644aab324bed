// What is selected in a view: item ids, and the place of the last click, which a shift-click selects up to.

import { SvelteSet } from 'svelte/reactivity';

export class Selection {
  ids = new SvelteSet();
  anchor = $state(-1);

  get size() {
    return this.ids.size;
  }

  has(id) {
    return this.ids.has(id);
  }

  toggle(id, index) {
    if (this.ids.has(id)) this.ids.delete(id);
    else this.ids.add(id);
    this.anchor = index;
  }

  addAll(ids) {
    for (const id of ids) this.ids.add(id);
  }

  /** Selects a whole group (a day): all of it, or none of it if it was all selected. */
  toggleGroup(ids) {
    if (ids.every((id) => this.ids.has(id))) ids.forEach((id) => this.ids.delete(id));
    else this.addAll(ids);
  }

  clear() {
    this.ids.clear();
    this.anchor = -1;
  }

  list() {
    return [...this.ids];
  }
}
