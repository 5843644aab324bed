// What the portal's end-to-end tests share: Chromium as the machine runs it headless (with no background
// network, which a closed network refuses), and a signed-in page that records the page's errors.

import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The value of environment variable `name`; `runner` is the Rust test that sets it. */
export const envOf = (runner) => (name) => process.env[name] ?? assert.fail(`${name} is not set (run through ${runner})`);

/** Chromium, and a page signed in to the portal at `base` as `user`; `errors` collects the page's errors, and
 * `watch` gets the page before anything is loaded. */
export async function signedIn(base, user, password, errors, watch = () => {}) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
  const page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  watch(page);
  await page.goto(`${base}/photo/`);
  await page.getByLabel('Account').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.day h2').first().waitFor();
  return { browser, page };
}

/** Waits until every image matching `selector` on `page` has loaded (and there is at least one). */
export const imagesLoaded = (page, selector) =>
  page.waitForFunction((s) => {
    const imgs = [...document.querySelectorAll(s)];
    return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
  }, selector);
