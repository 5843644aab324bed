// The date scrubber's marks: where each month of the timeline starts, as a fraction of its height, and which years
// get a label. Years closer together than a label's height (a year of few photos between two of many) get a dot
// instead, so that no label covers another. Plain functions, so that tests/e2e/scrubber.test.mjs runs them in Node.

/** One mark per month, newest first as the timeline runs; `firstOfYear` on the first month of each year. */
export function monthMarks(days, height) {
  const out = [];
  let last = '';
  for (const d of days) {
    const month = `${d.year}-${d.month}`;
    if (month === last) continue;
    const firstOfYear = !out.length || out.at(-1).year !== d.year;
    out.push({ year: d.year, month: d.month, top: d.top, fraction: height ? d.top / height : 0, firstOfYear });
    last = month;
  }
  return out;
}

/**
 * The years whose label fits on a rail `railHeight` px high, no two closer than `gap` px: the years that take the
 * most room (the most photos) are placed first, so a year of one photo between two big ones is the one that
 * becomes a dot.
 */
export function labelledYears(marks, railHeight, gap) {
  const firsts = marks.filter((m) => m.firstOfYear);
  const starts = firsts.map((m, i) => ({
    year: m.year,
    y: m.fraction * railHeight,
    span: (firsts[i + 1]?.fraction ?? 1) - m.fraction,
  }));
  const placed = [];
  for (const start of [...starts].sort((a, b) => b.span - a.span)) {
    if (placed.every((p) => Math.abs(p.y - start.y) >= gap)) placed.push(start);
  }
  return new Set(placed.map((p) => p.year));
}
