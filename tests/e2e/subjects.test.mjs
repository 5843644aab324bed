// Subjects end to end, in Debian's Chromium driven by playwright-core, against the real daemon that
// tests/tests/subjects.rs started on labelled subject photos of ../shared/corpus, classified by the real model: the
// Subjects album (subjects with covers and counts), a subject's photos, taking a wrong photo out of it, hiding a
// subject, and the search box: suggestions as you type "do", and "puppy" finding the dogs. Screenshots go to
// $PHOTOSD_SCREENSHOTS.
//
// Env: PHOTOSD_URL, PHOTOSD_USER, PHOTOSD_PASSWORD, PHOTOSD_SCREENSHOTS, PHOTOSD_SUBJECTS (JSON: `dogs`, how many
// photos the API says are dogs; `subjects`, how many subjects the album has).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { envOf, signedIn } from './session.mjs';

const env = envOf('tests/tests/subjects.rs');
const base = env('PHOTOSD_URL');
const shots = env('PHOTOSD_SCREENSHOTS');
const expected = JSON.parse(env('PHOTOSD_SUBJECTS'));

let browser;
let page;
const consoleErrors = [];

before(async () => {
  ({ browser, page } = await signedIn(base, env('PHOTOSD_USER'), env('PHOTOSD_PASSWORD'), consoleErrors));
});

after(async () => {
  await browser?.close();
});

const loaded = (selector) => page.waitForFunction((s) => {
  const imgs = [...document.querySelectorAll(s)];
  return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
}, selector);

test('the Subjects album shows each subject with its cover and count, and a subject opens its photos', async () => {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Subjects' }).click();
  await page.getByRole('heading', { name: 'Subjects' }).waitFor();
  const tiles = page.locator('.tiles a');
  await tiles.first().waitFor();
  assert.equal(await tiles.count(), expected.subjects);
  const dog = page.locator('.tiles a[data-concept="dog"]');
  assert.match(await dog.innerText(), new RegExp(`${expected.dogs} (photos|items)`));
  await loaded('.tiles img');
  await page.screenshot({ path: join(shots, 'subjects.png') });

  await dog.click();
  await page.getByRole('heading', { name: 'dog' }).waitFor();
  await page.waitForFunction((n) => document.querySelectorAll('.subject .grid img').length === n, expected.dogs);
  await loaded('.subject .grid img');
  await page.screenshot({ path: join(shots, 'subject.png') });
});

test('a wrong photo is taken out of a subject, and a subject is hidden and shown again', async () => {
  const photos = page.locator('.subject .grid a');
  await photos.first().hover();
  await page.locator('.subject .grid button[aria-label^="Select"]').first().click();
  await page.getByRole('button', { name: 'Not a dog' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('.subject .grid img').length === n, expected.dogs - 1);

  await page.getByRole('button', { name: 'Hide this subject' }).click();
  await page.getByRole('button', { name: 'Show this subject' }).waitFor();
  await page.getByRole('link', { name: 'Subjects' }).first().click();
  await page.locator('.tiles a').first().waitFor();
  assert.equal(await page.locator('.tiles a[data-concept="dog"]').count(), 0, 'a hidden subject leaves the album');
  await page.getByLabel('Show hidden subjects').check();
  await page.locator('.tiles a[data-concept="dog"]').click();
  await page.getByRole('button', { name: 'Show this subject' }).click();
  await page.getByRole('button', { name: 'Hide this subject' }).waitFor();
});

test('the search box suggests subjects as you type, and "puppy" finds the dogs', async () => {
  const box = page.getByRole('combobox', { name: 'Search' });
  await box.fill('do');
  const suggestion = page.getByRole('option').filter({ hasText: 'dog' });
  await suggestion.first().waitFor();
  // Really on screen: nothing covers or clips it where a click would land.
  const onTop = await suggestion.first().evaluate((el) => {
    const r = el.getBoundingClientRect();
    return el.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2));
  });
  assert.ok(onTop, 'the suggestion is visible under the search box');
  await page.screenshot({ path: join(shots, 'search-suggest.png') });
  await suggestion.first().click();
  await page.getByRole('heading', { name: 'dog' }).waitFor();
  await box.fill('puppy');
  await box.press('Enter');
  await page.getByRole('heading', { name: 'Photos for "puppy"' }).waitFor();
  await page.waitForFunction((n) => document.querySelectorAll('.results .grid img').length === n, expected.dogs - 1);
  await loaded('.results .grid img');
  await page.screenshot({ path: join(shots, 'search.png') });
  assert.deepEqual(consoleErrors, [], 'no console errors during the run');
});
