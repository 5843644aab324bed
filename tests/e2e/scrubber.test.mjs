// The timeline scrubber's year labels (daemon/web/src/lib/scrubber.js, which Scrubber.svelte draws): on a timeline
// where a year of few photos sits between years of many, as the corpus has it (2021 above 2020, 2016 above 2015),
// no two labels are closer than a label's height; the crowded years still have their mark (a dot, named on
// hover), and every label sits where its year starts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelledYears, monthMarks } from '../../daemon/web/src/lib/scrubber.js';

/** Days of a timeline, newest first: `[year, days in it]`, each day 200 px high, months of 30 days. */
function timeline(years) {
  const days = [];
  let top = 0;
  for (const [year, count] of years) {
    for (let i = 0; i < count; i++) {
      days.push({ year, month: 12 - Math.floor(i / 30) % 12, top });
      top += 200;
    }
  }
  return { days, height: top };
}

test('years close together get one label, the others a dot, and labels never overlap', () => {
  const { days, height } = timeline([[2022, 120], [2021, 1], [2020, 2], [2019, 90], [2016, 1], [2015, 60], [1999, 1], [1998, 3]]);
  const marks = monthMarks(days, height);
  const rail = 700;
  const gap = 16;
  const labelled = labelledYears(marks, rail, gap);
  const firsts = marks.filter((m) => m.firstOfYear);
  assert.deepEqual(firsts.map((m) => m.year), [2022, 2021, 2020, 2019, 2016, 2015, 1999, 1998], 'a mark for every year');
  const shown = firsts.filter((m) => labelled.has(m.year)).map((m) => ({ year: m.year, y: m.fraction * rail }));
  for (let i = 1; i < shown.length; i++) {
    assert.ok(shown[i].y - shown[i - 1].y >= gap, `${shown[i].year} too close to ${shown[i - 1].year}: ${JSON.stringify(shown)}`);
  }
  assert.ok(labelled.has(2022) && labelled.has(2019) && labelled.has(2015), `the years of many photos: ${[...labelled]}`);
  assert.ok(!(labelled.has(2021) && labelled.has(2020)), 'not both 2021 and 2020');
  assert.ok(!(labelled.has(1999) && labelled.has(1998)), 'not both 1999 and 1998');
});

test('on a tall rail every year has room for its label', () => {
  const { days, height } = timeline([[2022, 10], [2021, 10], [2020, 10]]);
  const labelled = labelledYears(monthMarks(days, height), 900, 16);
  assert.deepEqual([...labelled].sort(), [2020, 2021, 2022]);
});
