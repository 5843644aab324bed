// Places end to end, in Debian's Chromium driven by playwright-core, against the real daemon that
// tests/tests/places.rs started on GPS-tagged photos of ../shared/corpus: the Places album (countries, then what is
// below them, then a place's photos), the map drawn offline with its clusters (a cluster opens its photos), and a
// location set by hand in the viewer's info panel. Every request the page makes goes to the daemon: nothing leaves
// for a map or a place. Screenshots go to $PHOTOSD_SCREENSHOTS.
//
// Env: PHOTOSD_URL, PHOTOSD_USER, PHOTOSD_PASSWORD, PHOTOSD_SCREENSHOTS, PHOTOSD_PLACES (JSON: `countries`, the
// country names in the order the album lists them; `photos`, how many photos have a place).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { envOf, signedIn } from './session.mjs';

const env = envOf('tests/tests/places.rs');
const base = env('PHOTOSD_URL');
const shots = env('PHOTOSD_SCREENSHOTS');
const expected = JSON.parse(env('PHOTOSD_PLACES'));

let browser;
let page;
const consoleErrors = [];
const elsewhere = [];

before(async () => {
  const watch = (page) => page.on('request', (r) => !r.url().startsWith(base) && !r.url().startsWith('data:') && elsewhere.push(r.url()));
  ({ browser, page } = await signedIn(base, env('PHOTOSD_USER'), env('PHOTOSD_PASSWORD'), consoleErrors, watch));
});

after(async () => {
  await browser?.close();
});

const loaded = (selector) => page.waitForFunction((s) => {
  const imgs = [...document.querySelectorAll(s)];
  return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
}, selector);

test('the Places album lists the countries with covers, then the places below them, then their photos', async () => {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Places' }).click();
  await page.getByRole('heading', { name: 'Places' }).waitFor();
  const names = page.locator('.tiles strong');
  await names.first().waitFor();
  assert.deepEqual(await names.allTextContents(), expected.countries);
  await loaded('.tiles img');
  await page.screenshot({ path: join(shots, 'places.png') });

  await page.locator('.tiles a', { hasText: 'Germany' }).click();
  await page.getByRole('heading', { name: 'Germany' }).waitFor();
  await page.locator('.tiles a', { hasText: 'Berlin' }).click();
  await page.getByRole('heading', { name: 'Berlin' }).first().waitFor();
  await page.getByRole('link', { name: 'Germany' }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('.place .grid img').length >= 3);
  await page.screenshot({ path: join(shots, 'place.png') });
});

test('the map draws the world offline with clusters, and a cluster opens its photos', async () => {
  await page.goto(`${base}/photo/#/personal/map`);
  await page.locator('svg path.land').waitFor();
  await page.locator('.cluster').first().waitFor();
  const counts = await page.locator('.cluster').evaluateAll((cs) => cs.map((c) => Number(c.dataset.count)));
  assert.equal(counts.reduce((a, b) => a + b, 0), expected.photos, `every placed photo on the map (${counts})`);
  await loaded('.cluster img');
  await page.screenshot({ path: join(shots, 'map.png') });

  // Zooming in keeps the photos, in more clusters; the biggest one opens its photos.
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.cluster').length > 0);
  const biggest = page.locator('.cluster').first();
  const n = Number(await biggest.getAttribute('data-count'));
  await biggest.click();
  await page.getByRole('heading', { name: 'Photos in this area' }).waitFor();
  await page.waitForFunction((n) => document.querySelectorAll('.place .grid img').length === n, n);
  await page.screenshot({ path: join(shots, 'map-area.png') });
});

test('a location set by hand in the info panel places the photo', async () => {
  await page.goto(`${base}/photo/#/personal/timeline`);
  await page.locator('.thumb img').first().waitFor();
  const unplaced = page.locator('.thumb img[alt^="Photo unplaced.jpg"]');
  await unplaced.click();
  await page.getByRole('button', { name: 'Info' }).click();
  const info = page.getByRole('complementary', { name: 'Info' });
  await info.getByText('No location').waitFor();
  await info.getByRole('button', { name: 'Set location' }).click();
  await info.getByRole('textbox', { name: 'Latitude' }).fill('64.1466');
  await info.getByRole('textbox', { name: 'Longitude' }).fill('-21.9426');
  await info.getByRole('button', { name: 'Save' }).click();
  // The geocode stage runs in the background: the panel shows the place once it is made.
  await info.getByRole('link', { name: 'Iceland' }).waitFor();
  await info.getByRole('link', { name: 'Reykjavík' }).waitFor();
  await page.screenshot({ path: join(shots, 'location-edit.png') });
});

test('nothing was fetched from anywhere but photosd, and no errors', () => {
  assert.deepEqual(elsewhere, [], 'every request went to photosd');
  assert.deepEqual(consoleErrors, []);
});
