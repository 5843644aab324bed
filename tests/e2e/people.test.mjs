// The People album end to end, in Debian's Chromium driven by playwright-core, against the real daemon that
// tests/tests/people.rs started on face photos from ../shared/corpus, grouped by the real models. Screenshots go to
// $PHOTOSD_SCREENSHOTS.
//
// Env: PHOTOSD_URL, PHOTOSD_USER, PHOTOSD_PASSWORD, PHOTOSD_SCREENSHOTS, PHOTOSD_PEOPLE (JSON: the person ids of
// some photos, as the API groups them, {obama, pp0, pp1, alex, kit}, and `photos`: how many photos Obama, the two
// PhotoPrism persons merged, Kit and Alex merged, and the friends with one more photo have).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { envOf, signedIn } from './session.mjs';

const env = envOf('tests/tests/people.rs');
const base = env('PHOTOSD_URL');
const shots = env('PHOTOSD_SCREENSHOTS');
const ids = JSON.parse(env('PHOTOSD_PEOPLE'));
const items = (n) => page.getByText(`${n} items`, { exact: true });

let browser;
let page;
const consoleErrors = [];

before(async () => {
  ({ browser, page } = await signedIn(base, env('PHOTOSD_USER'), env('PHOTOSD_PASSWORD'), consoleErrors));
});

after(async () => {
  await browser?.close();
});

const card = (id) => page.locator(`li[data-person="${id}"]`);
const people = () => page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'People' }).click();

test('the People album shows every person with their face, unnamed ones asking who they are', async () => {
  await people();
  await page.getByRole('heading', { name: 'People' }).waitFor();
  for (const id of [ids.obama, ids.pp0, ids.pp1, ids.alex, ids.kit]) await card(id).waitFor();
  await card(ids.obama).getByRole('button', { name: "Who's this?" }).waitFor();
  // The faces are drawn from the cover photos' thumbnails.
  await page.waitForFunction(() => [...document.querySelectorAll('.face')].every((f) => f.style.backgroundImage.includes('Thumbnail')));
  await page.screenshot({ path: join(shots, 'people.png') });
});

test("naming through \"Who's this?\", and a name that exists merges the two", async () => {
  const name = async (id, text) => {
    await card(id).getByRole('button', { name: "Who's this?" }).click();
    await card(id).getByRole('textbox', { name: 'Name' }).fill(text);
    await card(id).getByRole('textbox', { name: 'Name' }).press('Enter');
  };
  await name(ids.obama, 'Barack Obama');
  await card(ids.obama).getByRole('link', { name: 'Barack Obama' }).waitFor();
  await name(ids.pp1, 'Friends');
  await card(ids.pp1).getByRole('link', { name: 'Friends' }).waitFor();
  await name(ids.pp0, 'friends');
  const merge = page.getByRole('dialog', { name: 'Merge people' });
  await merge.getByText('into Friends').waitFor();
  await merge.getByRole('button', { name: 'Merge' }).click();
  await card(ids.pp0).waitFor({ state: 'detached' });
  await card(ids.pp1).getByText(`${ids.photos.friends} items`, { exact: true }).waitFor();
});

test('More > Merge people merges the picked people into the first picked', async () => {
  await page.getByText('More').click();
  await page.getByRole('button', { name: 'Merge people' }).click();
  await card(ids.kit).getByRole('button').click();
  await card(ids.alex).getByRole('button').click();
  await page.getByRole('button', { name: 'Merge 2 people' }).click();
  await page.getByRole('dialog', { name: 'Merge people' }).getByRole('button', { name: 'Merge' }).click();
  await card(ids.alex).waitFor({ state: 'detached' });
  await card(ids.kit).getByText(`${ids.photos.kit_and_alex} items`, { exact: true }).waitFor();
});

test("a person's photos as a timeline; hiding and showing the person", async () => {
  await card(ids.obama).getByRole('link', { name: 'Barack Obama' }).click();
  await page.getByRole('heading', { name: 'Barack Obama' }).waitFor();
  await items(ids.photos.obama).waitFor();
  await page.waitForFunction((n) => document.querySelectorAll('.person .grid img').length === n, ids.photos.obama);
  await page.screenshot({ path: join(shots, 'person.png') });
  await page.getByRole('button', { name: 'Hide person' }).click();
  await page.getByRole('button', { name: 'Show person' }).waitFor();
  await people();
  await card(ids.pp1).waitFor();
  assert.equal(await card(ids.obama).count(), 0, 'a hidden person is not listed');
  await page.getByLabel('Show hidden people').check();
  await card(ids.obama).waitFor();
  assert.ok(await card(ids.obama).evaluate((li) => li.classList.contains('hidden')));
  await card(ids.obama).getByRole('link', { name: 'Barack Obama' }).click();
  await page.getByRole('button', { name: 'Show person' }).click();
  await page.getByRole('button', { name: 'Hide person' }).waitFor();
});

test('selected photos are removed from the person, or reassigned to another', async () => {
  const thumbs = page.locator('.person .thumb');
  const select = async (k) => {
    await thumbs.nth(k).hover();
    await thumbs.nth(k).locator('button.check').click();
  };
  await select(0);
  await page.getByRole('toolbar', { name: 'Selection' }).getByRole('button', { name: 'Not this person' }).click();
  await page.getByRole('dialog', { name: 'Not this person' }).getByRole('button', { name: 'Remove' }).click();
  await items(ids.photos.obama - 1).waitFor();
  await select(0);
  await page.getByRole('toolbar', { name: 'Selection' }).getByRole('button', { name: 'Move to another person' }).click();
  const move = page.getByRole('dialog', { name: 'Move to another person' });
  await move.getByLabel('Person').selectOption({ label: 'Friends' });
  await move.getByRole('button', { name: 'Move to another person' }).click();
  await items(ids.photos.obama - 2).waitFor();
  await people();
  await card(ids.pp1).getByText(`${ids.photos.friends_and_one} items`, { exact: true }).waitFor();
});

test('More > Turn off People hides the album until People is turned on again', async () => {
  await page.getByText('More').click();
  await page.getByRole('button', { name: 'Turn off People' }).click();
  await page.getByText('People is off', { exact: false }).waitFor();
  assert.equal(await page.locator('li[data-person]').count(), 0, 'no person is listed while People is off');
  await page.screenshot({ path: join(shots, 'people-off.png') });
  await page.getByRole('button', { name: 'Turn on People' }).click();
  await card(ids.pp1).getByText(`${ids.photos.friends_and_one} items`, { exact: true }).waitFor();
  assert.deepEqual(consoleErrors, [], 'no errors in the console');
});
