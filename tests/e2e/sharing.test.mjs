// Share links end to end, in Debian's Chromium driven by playwright-core, against the real daemon that
// tests/tests/sharing_web.rs started and shared through the API: a visitor without an account opens each link's
// public page (desktop and phone width), a signed-in owner uses the Share dialog and the Sharing tab.
// Screenshots go to $PHOTOSD_SCREENSHOTS.
//
// Env: PHOTOSD_URL, PHOTOSD_USER, PHOTOSD_PASSWORD, PHOTOSD_SCREENSHOTS, PHOTOSD_LINKS (JSON: passphrases of the
// links { view, download, password, expired, disabled, upload, request }, the password, and `names`: the view link's
// file names), PHOTOSD_UPLOAD (a JPEG to send to the request), PHOTOSD_INVITEE (user:password of an invitee of the
// private album "For Bob").

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => process.env[name] ?? assert.fail(`${name} is not set (run through tests/tests/sharing_web.rs)`);
const base = env('PHOTOSD_URL');
const shots = env('PHOTOSD_SCREENSHOTS');
const links = JSON.parse(env('PHOTOSD_LINKS'));
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser;
const consoleErrors = [];

/** A new visitor: a fresh browser context with no cookies, at `width`. */
async function visitor(width = 1280, height = 860) {
  const context = await browser.newContext({ viewport: { width, height }, locale: 'en-US', acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  return page;
}

const thumbs = (page) => page.locator('.thumb img');
const open = (page, passphrase, kind = 'sharing') => page.goto(`${base}/photo/mo/${kind}/${passphrase}`);

before(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS });
});

after(async () => {
  await browser?.close();
});

test('a view link shows its photos, the viewer and a slideshow, and offers no download', async () => {
  const page = await visitor();
  await open(page, links.view);
  await page.getByRole('heading', { name: 'Shared trip' }).waitFor();
  await page.waitForFunction((n) => [...document.querySelectorAll('.thumb img')].filter((i) => i.complete && i.naturalWidth > 0).length === n, links.names.length);
  const alts = await thumbs(page).evaluateAll((imgs) => imgs.map((i) => i.alt).join(' '));
  for (const name of links.names) assert.ok(alts.includes(name), `${name} shown (${alts})`);
  assert.equal(await page.getByRole('link', { name: 'Download all' }).count(), 0, 'a view link offers no download');
  await page.screenshot({ path: join(shots, 'share-public.png') });

  await thumbs(page).first().click();
  const viewer = page.getByRole('dialog');
  await viewer.locator('img.media').waitFor();
  await page.waitForFunction(() => document.querySelector('.viewer img.media')?.naturalWidth > 0);
  assert.equal(await viewer.getByRole('link', { name: 'Download' }).count(), 0);
  assert.equal(await viewer.getByRole('button', { name: 'Delete' }).count(), 0, 'a visitor deletes nothing');
  await page.keyboard.press('ArrowRight');
  await page.screenshot({ path: join(shots, 'share-viewer.png') });
  await page.keyboard.press('Escape');
  await viewer.waitFor({ state: 'detached' });

  await page.getByRole('button', { name: 'Slideshow' }).click();
  await page.waitForFunction(() => [...document.querySelectorAll('img.shown')].some((i) => i.naturalWidth > 0));
  await page.screenshot({ path: join(shots, 'share-slideshow.png') });
  await page.getByRole('button', { name: 'Close' }).click();
});

test('a download link downloads the originals', async () => {
  const page = await visitor();
  await open(page, links.download);
  await thumbs(page).first().waitFor();
  const all = page.getByRole('link', { name: 'Download all' });
  const response = await page.request.get(new URL(await all.getAttribute('href'), base).href);
  assert.equal(response.status(), 200);
  assert.equal(response.headers()['content-type'], 'application/zip');
  await thumbs(page).first().click();
  const one = page.getByRole('dialog').getByRole('link', { name: 'Download' });
  const original = await page.request.get(new URL(await one.getAttribute('href'), base).href);
  assert.equal(original.headers()['content-type'], 'image/jpeg');
  assert.ok((await original.body()).length > 1000, 'the original, not an error');
});

test('a password link asks for the password first', async () => {
  const page = await visitor();
  await open(page, links.password);
  await page.getByText('This link is protected by a password.').waitFor();
  assert.equal(await thumbs(page).count(), 0, 'nothing shows before the password');
  await page.screenshot({ path: join(shots, 'share-password.png') });
  await page.getByLabel('Password').fill('not it');
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByText('The password is wrong.').waitFor();
  await page.getByLabel('Password').fill(links.secret);
  await page.getByRole('button', { name: 'Open' }).click();
  await thumbs(page).first().waitFor();
});

test('an expired or disabled link shows "not found"', async () => {
  for (const passphrase of [links.expired, links.disabled, 'NoSuchLinkAtAll42']) {
    const page = await visitor();
    await open(page, passphrase);
    await page.getByText('This link does not exist, has been turned off, or has expired.').waitFor();
    assert.equal(await thumbs(page).count(), 0);
    if (passphrase === links.expired) await page.screenshot({ path: join(shots, 'share-expired.png') });
  }
});

test('the public page works at phone width', async () => {
  const page = await visitor(390, 844);
  await open(page, links.view);
  await page.waitForFunction((n) => [...document.querySelectorAll('.thumb img')].filter((i) => i.naturalWidth > 0).length === n, links.names.length);
  const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scrolling (${width} px wide)`);
  await page.getByRole('button', { name: 'Slideshow' }).waitFor();
  await page.screenshot({ path: join(shots, 'share-phone.png') });
  await thumbs(page).first().click();
  await page.getByRole('dialog').locator('img.media').waitFor();
});

test('an upload link adds a visitor\'s photo to the album', async () => {
  const page = await visitor();
  await open(page, links.upload);
  await page.waitForFunction(() => document.querySelectorAll('.thumb').length === 1);
  await page.locator('input[type=file]').setInputFiles(env('PHOTOSD_UPLOAD'));
  await page.waitForFunction(() => document.querySelectorAll('.thumb').length === 2);
  await page.getByText('2 items').waitFor();
});

test('a photo request takes a file and shows nothing', async () => {
  const page = await visitor(390, 844);
  await open(page, links.request, 'request');
  await page.getByRole('heading', { name: 'Send us your photos' }).waitFor();
  assert.equal(await thumbs(page).count(), 0);
  await page.locator('input[type=file]').setInputFiles(env('PHOTOSD_UPLOAD'));
  await page.getByText('1 file sent. Thank you!').waitFor();
  await page.screenshot({ path: join(shots, 'share-request.png') });
});

/** A new browser signed in to the portal as `user` with `password`. */
async function signedIn(user, password) {
  const page = await visitor();
  await page.goto(`${base}/photo/`);
  await page.getByLabel('Account').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Views' }).waitFor();
  return page;
}

test('an invitee finds a private album under Shared with me and opens it with their own session', async () => {
  const [user, password] = env('PHOTOSD_INVITEE').split(':');
  const page = await signedIn(user, password);
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Sharing' }).click();
  await page.getByRole('heading', { name: 'Shared with me' }).waitFor();
  await page.getByRole('link', { name: 'For Bob' }).click();
  await page.getByRole('heading', { name: 'For Bob' }).waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('.thumb img')].filter((i) => i.naturalWidth > 0).length === 3);
  await page.getByRole('link', { name: 'Download all' }).waitFor();
  await page.screenshot({ path: join(shots, 'share-invitee.png') });
  // The same private link, without the invitee's session: nothing.
  const stranger = await visitor();
  await stranger.goto(page.url());
  await stranger.getByText('This link does not exist, has been turned off, or has expired.').waitFor();
});

test('the owner shares an album from the Share dialog and finds it under Sharing', async () => {
  const page = await signedIn(env('PHOTOSD_USER'), env('PHOTOSD_PASSWORD'));
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Albums' }).click();
  await page.getByRole('link', { name: /Unshared/ }).click();
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Share' });
  const address = dialog.getByRole('textbox', { name: 'Share link' });
  await address.waitFor();
  const url = await address.inputValue();
  assert.match(url, /\/photo\/mo\/sharing\/[A-Za-z0-9]{16}$/);
  await dialog.getByLabel('Anyone with the link can').selectOption('download');
  await page.waitForFunction(() => document.querySelector('[role=dialog] select')?.value === 'download');
  await page.screenshot({ path: join(shots, 'share-dialog.png') });
  await dialog.getByRole('button', { name: 'Done' }).click();
  await page.screenshot({ path: join(shots, 'share-dialog-done.png') });
  // The link works for a visitor at once, with downloads.
  const guest = await visitor();
  await guest.goto(url);
  await guest.getByRole('link', { name: 'Download all' }).waitFor();
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Sharing' }).click();
  await page.getByRole('heading', { name: 'Shared with others' }).waitFor();
  await page.getByText('Unshared').waitFor();
  await page.screenshot({ path: join(shots, 'share-tab.png') });
  assert.deepEqual(consoleErrors, []);
});
