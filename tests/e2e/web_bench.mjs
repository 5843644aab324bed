// Measures the portal in Debian's Chromium for tests/bench/web_bench.py, which starts the daemon on a large
// library: milliseconds to the first thumbnails after opening the page, and to a screen full of thumbnails after
// a fast scroll stops (wheel, and a jump to the end), plus the gzipped size of the portal's scripts and styles.
// Prints one JSON line. Env: PHOTOSD_URL, PHOTOSD_USER, PHOTOSD_PASSWORD, PHOTOSD_RUNS.

import http from 'node:http';
import { chromium } from 'playwright-core';

const base = process.env.PHOTOSD_URL;
const runs = Number(process.env.PHOTOSD_RUNS ?? 5);
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const viewport = { width: 1440, height: 900 };

/** True once every thumbnail slot in the visible part of the timeline shows a loaded image. */
function screenFull() {
  const scroller = document.querySelector('.scroller');
  if (!scroller) return false;
  const box = scroller.getBoundingClientRect();
  const slots = [...document.querySelectorAll('.day .thumb')].filter((t) => {
    const r = t.getBoundingClientRect();
    return r.bottom > box.top && r.top < box.bottom;
  });
  return slots.length > 0 && slots.every((t) => {
    const img = t.querySelector('img');
    return img && img.complete && img.naturalWidth > 0;
  });
}

function gzipSize(path) {
  return new Promise((resolve, reject) => {
    http.get(`${base}${path}`, { headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
      res.resume();
      resolve(Number(res.headers['content-length']));
    }).on('error', reject);
  });
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS });
const signIn = await browser.newContext({ viewport });
const page = await signIn.newPage();
await page.goto(`${base}/photo/`);
await page.getByLabel('Account').fill(process.env.PHOTOSD_USER);
await page.getByLabel('Password').fill(process.env.PHOTOSD_PASSWORD);
await page.getByRole('button', { name: 'Sign in' }).click();
await page.waitForFunction(screenFull, null, { timeout: 60000 });
const state = await signIn.storageState();
const html = await (await fetch(`${base}/photo/`)).text();
const assets = [...html.matchAll(/(?:src|href)="(\/photo\/assets\/[^"]+)"/g)].map((m) => m[1]);
const bundle = (await Promise.all(assets.map(gzipSize))).reduce((a, b) => a + b, 0);

const figures = { first: [], wheel: [], jump: [], bundle_gzip: bundle };
for (let run = 0; run < runs; run += 1) {
  // A new context each time: the session cookie, but nothing cached.
  const context = await browser.newContext({ viewport, storageState: state });
  const p = await context.newPage();
  const opened = performance.now();
  await p.goto(`${base}/photo/`);
  await p.waitForFunction(() => [...document.querySelectorAll('.day img')].some((i) => i.complete && i.naturalWidth > 0), null, { timeout: 30000 });
  figures.first.push(performance.now() - opened);
  await p.waitForFunction(screenFull, null, { timeout: 30000 });

  await p.mouse.move(600, 500);
  for (let i = 0; i < 30; i += 1) {
    await p.mouse.wheel(0, 4000 + run * 500);
    await p.waitForTimeout(16);
  }
  const stopped = performance.now();
  await p.waitForFunction(screenFull, null, { timeout: 30000, polling: 16 });
  figures.wheel.push(performance.now() - stopped);

  const jumped = performance.now();
  await p.evaluate(() => {
    const s = document.querySelector('.scroller');
    s.scrollTop = s.scrollHeight;
  });
  await p.waitForFunction(screenFull, null, { timeout: 30000, polling: 16 });
  figures.jump.push(performance.now() - jumped);
  if (run === 0) {
    const counts = await p.evaluate(() => fetch('/photo/webapi/entry.cgi', { method: 'POST', body: new URLSearchParams({ api: 'SYNO.Foto.Browse.Timeline', method: 'get', version: '5', timeline_group_unit: '"day"' }), headers: { 'X-SYNO-TOKEN': sessionStorage.getItem('photosd.synotoken') } }).then((r) => r.json()));
    const days = counts.data.section.flatMap((section) => section.list);
    figures.days = days.length;
    figures.items = days.reduce((n, d) => n + d.item_count, 0);
  }
  await context.close();
}
await browser.close();
console.log(JSON.stringify(figures));
