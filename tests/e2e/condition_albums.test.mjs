// Condition albums, the automatic albums and the Settings page end to end, in Debian's Chromium driven by
// playwright-core, against the daemon that tests/tests/condition_albums.rs started on the corpus' camera samples.
// Albums > New condition album: three conditions (a camera, a month, photos only), the live count agreeing with
// what exiftool's reading of the corpus says before anything is saved, the album opened with those photos, its
// conditions edited (an ISO added) and the album following. Then the automatic albums with their counts, a tag's
// album, and Settings: the indexing status of the space, and a default sort that the timeline takes.
// Screenshots go to $PHOTOSD_SCREENSHOTS.
//
// Last, a Photos administrator (PHOTOSD_ADMIN, "user:password") hides the Shared Space's Family folder from
// everyone but the user, from Settings (the Rust test checks the rules through the API afterwards).
//
// Env: PHOTOSD_URL, PHOTOSD_USER, PHOTOSD_PASSWORD, PHOTOSD_SCREENSHOTS, PHOTOSD_ADMIN, PHOTOSD_CONDITIONS (JSON:
// `camera`, `from` and `to` (YYYY-MM-DD), `count` (photos the three conditions hold), `iso` and `with_iso` (the
// count with that ISO added), `videos`, `tag` and `tagged` (a tag and how many photos have it), `items` (every
// listed item)).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { envOf, imagesLoaded, signedIn } from './session.mjs';

const env = envOf('tests/tests/condition_albums.rs');
const base = env('PHOTOSD_URL');
const shots = env('PHOTOSD_SCREENSHOTS');
const expected = JSON.parse(env('PHOTOSD_CONDITIONS'));

let browser;
let page;
const consoleErrors = [];

before(async () => {
  ({ browser, page } = await signedIn(base, env('PHOTOSD_USER'), env('PHOTOSD_PASSWORD'), consoleErrors));
});

after(async () => {
  await browser?.close();
});

const loaded = (selector) => imagesLoaded(page, selector);

/** Waits until the editor's live count says `n`. */
const counted = (n) => page.waitForFunction((want) => document.querySelector('[data-count]')?.dataset.count === String(want), n);

/** Picks `value` (by its visible text) in the editor's list `label`, keeping what was picked before. */
async function pick(label, value) {
  const list = page.getByRole('dialog').getByLabel(label, { exact: true });
  const chosen = await list.evaluate((select) => [...select.selectedOptions].map((o) => o.textContent));
  await list.selectOption([...chosen, value].map((text) => ({ label: text })));
}

test('a condition album is made with three conditions, its live count right before it is saved', async () => {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Albums' }).click();
  await page.getByRole('button', { name: 'New condition album' }).click();
  const editor = page.getByRole('dialog', { name: 'New condition album' });
  await editor.getByLabel('Album name').fill('The P6000 in October');
  await pick('Camera', expected.camera);
  await editor.getByLabel('From', { exact: true }).fill(expected.from);
  await editor.getByLabel('To', { exact: true }).fill(expected.to);
  await editor.getByLabel('Photos', { exact: true }).check();
  await counted(expected.count);
  assert.match(await editor.locator('.live-count').innerText(), new RegExp(`^${expected.count} matching items$`));
  await page.screenshot({ path: join(shots, 'condition-editor.png') });

  await editor.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('heading', { name: 'The P6000 in October' }).waitFor();
  await page.waitForFunction((n) => document.querySelectorAll('.album .grid img').length === n, expected.count);
  await loaded('.album .grid img');
  await page.screenshot({ path: join(shots, 'condition-album.png') });
});

test('its conditions are edited, and the album follows', async () => {
  await page.getByRole('button', { name: 'Edit conditions' }).click();
  const editor = page.getByRole('dialog', { name: 'Edit conditions' });
  // The conditions it was saved with come back.
  assert.equal(await editor.getByLabel('From', { exact: true }).inputValue(), expected.from);
  assert.equal(await editor.getByLabel('To', { exact: true }).inputValue(), expected.to);
  assert.ok(await editor.getByLabel('Photos', { exact: true }).isChecked());
  await counted(expected.count);
  await pick('ISO', expected.iso);
  await counted(expected.with_iso);
  await editor.getByRole('button', { name: 'Save' }).click();
  await editor.waitFor({ state: 'detached' });
  await page.waitForFunction((n) => document.querySelectorAll('.album .grid img').length === n, expected.with_iso);
  assert.match(await page.locator('.album .item-count').innerText(), new RegExp(`^${expected.with_iso} items$`));
});

test('the automatic albums show their counts and open as lists of photos', async () => {
  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Albums' }).click();
  const tile = (key) => page.locator(`.tiles a[data-auto="${key}"]`);
  await tile('recent').waitFor();
  for (const key of ['people', 'subjects', 'places', 'tags', 'videos', 'recent']) assert.equal(await tile(key).count(), 1, key);
  await page.waitForFunction((n) => document.querySelector('.tiles a[data-auto="recent"] .item-count')?.textContent === `${n} items`, expected.items);
  assert.equal(await tile('videos').locator('.item-count').innerText(), `${expected.videos} ${expected.videos === 1 ? 'item' : 'items'}`);
  assert.equal(await tile('tags').locator('.item-count').innerText(), '1 tag');
  assert.ok(await page.locator('.tiles a[data-album]').filter({ hasText: 'The P6000 in October' }).count(), 'the condition album among the albums');
  await loaded('.tiles a[data-auto="recent"] img');
  await page.screenshot({ path: join(shots, 'albums-automatic.png') });

  await tile('videos').click();
  await page.getByRole('heading', { name: 'Videos' }).waitFor();
  await page.waitForFunction((n) => document.querySelectorAll('.collection .grid img').length === n, expected.videos);
  await page.goBack();
  await tile('tags').click();
  await page.locator(`.tiles a[data-tag]`).filter({ hasText: expected.tag }).click();
  await page.getByRole('heading', { name: expected.tag }).waitFor();
  await page.waitForFunction((n) => document.querySelectorAll('.collection .grid img').length === n, expected.tagged);
});

test('Settings shows the indexing status of the space, and the default sort applies to the timeline', async () => {
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Settings' }).waitFor();
  const personal = page.locator('section[data-space="personal"]');
  await personal.locator('dl.index[data-waiting="0"]').waitFor();
  assert.match(await personal.innerText(), /Everything is up to date/);
  assert.match(await personal.innerText(), /Thumbnails to make\s+0/, 'each kind of waiting work is named');
  await page.getByLabel('Sort photos by default by').selectOption({ label: 'Name, A to Z' });
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  await page.screenshot({ path: join(shots, 'settings.png') });

  // Kept by the server: a new page load signs in again from the cookie and reads it back.
  await page.reload();
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Photos' }).click();
  assert.equal(await page.getByLabel('Sort', { exact: true }).inputValue(), 'name_asc');
  await page.locator('.list .grid img').first().waitFor();
  assert.deepEqual(consoleErrors, [], 'no console errors during the run');
});

test('an administrator sets who sees a Shared Space folder from Settings', async () => {
  const [user, password] = env('PHOTOSD_ADMIN').split(':');
  const errors = [];
  const admin = await signedIn(base, user, password, errors);
  try {
    const page = admin.page;
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: "Who sees the Shared Space's folders" }).waitFor();
    const family = page.locator('fieldset[data-folder="/Family"]');
    await family.getByLabel('Role of Everyone').waitFor();
    // Each change is sent, then the folder's rules are read again: the next waits for that.
    const familyId = await family.getAttribute('data-folder-id');
    const reread = () => page.waitForResponse((r) => {
      const sent = new URLSearchParams(r.request().postData() ?? '');
      return sent.get('method') === 'get_config' && sent.get('id') === familyId;
    });
    let done = reread();
    await family.getByLabel('Role of Everyone').selectOption('none');
    await done;
    await family.getByLabel('Add a user or group').selectOption({ label: env('PHOTOSD_USER') });
    await family.getByLabel('Their role').selectOption('view');
    done = reread();
    await family.getByRole('button', { name: 'Add', exact: true }).click();
    await done;
    await family.getByLabel(`Role of ${env('PHOTOSD_USER')}`).waitFor();
    assert.equal(await family.getByLabel(`Role of ${env('PHOTOSD_USER')}`).inputValue(), 'view');
    assert.equal(await family.getByLabel('Role of Everyone').inputValue(), 'none');
    // Every space of the server, to the administrator.
    await page.locator('section[aria-labelledby="all-spaces"] tr[data-space-id]').nth(1).waitFor();
    await page.screenshot({ path: join(shots, 'settings-admin.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no console errors during the run');
  } finally {
    await admin.browser.close();
  }
});
