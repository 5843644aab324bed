// Justified rows, as Google Photos and Synology Photos lay out a day: every item keeps its aspect ratio, and each
// row is scaled to fill the width at about the target height. The last row keeps the target height.

export const GAP = 4;

/** Width over height as the item is shown (EXIF orientations 5–8 turn it a quarter). */
export function aspect(item) {
  const r = item.additional?.resolution;
  if (!r?.width || !r?.height) return item.type === 'video' ? 16 / 9 : 4 / 3;
  const turned = (item.additional?.orientation ?? 1) >= 5;
  const ratio = turned ? r.height / r.width : r.width / r.height;
  return Math.min(Math.max(ratio, 0.25), 4);
}

/** Places items of these aspect ratios in rows `width` wide: [{ top, height, cells: [{ left, width }] }]. */
export function justify(ratios, width, target) {
  const rows = [];
  let top = 0;
  let start = 0;
  while (start < ratios.length) {
    let end = start;
    let sum = 0;
    while (end < ratios.length) {
      sum += ratios[end];
      end += 1;
      if (sum * target + (end - start - 1) * GAP >= width) break;
    }
    const full = sum * target + (end - start - 1) * GAP >= width;
    const height = full ? (width - (end - start - 1) * GAP) / sum : target;
    let left = 0;
    const cells = [];
    for (let i = start; i < end; i += 1) {
      const w = ratios[i] * height;
      cells.push({ left, width: w });
      left += w + GAP;
    }
    rows.push({ top, height, cells });
    top += height + GAP;
    start = end;
  }
  return { rows, height: Math.max(0, top - GAP) };
}

/** A day's height before its items are known, from how many there are. */
export function estimate(count, width, target) {
  const perRow = Math.max(1, Math.floor((width + GAP) / (target * 1.4 + GAP)));
  return Math.ceil(count / perRow) * (target + GAP);
}

/** The row height to aim for at this width: smaller on phones. */
export function targetHeight(width) {
  return width < 600 ? 110 : width < 1200 ? 170 : 200;
}
