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

  /** A click on `item` of `list`: toggles it, or with shift selects everything from the last one clicked. */
  clickIn(list, item, shift) {
    const index = list.findIndex((i) => i.id === item.id);
    if (shift && this.anchor >= 0 && index >= 0) {
      const [lo, hi] = [Math.min(this.anchor, index), Math.max(this.anchor, index)];
      this.addAll(list.slice(lo, hi + 1).map((i) => i.id));
      this.anchor = index;
    } else {
      this.toggle(item.id, index);
    }
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
