// The dashboard at thousands of schemas, in headless Chromium: what a user feels. Run by bench/dashboard/run.sh
// (not part of CI; times are printed, never asserted). It does check what the page shows: the counts by
// state, failed schemas first, paging, search.
//
//   MUSTER_URL             the orchestrator (its dashboard at /)
//   MUSTER_CHROMIUM        the browser binary
//   MUSTER_SCREENSHOT      where to save the screenshot
//   MUSTER_EXPECT_TOTAL    schemas the page should count (tenants + public)
//   MUSTER_EXPECT_FAILED   of which failed
//   MUSTER_EXPECT_PENDING  of which pending
//   MUSTER_PROFILE         a file to write a Chromium CPU profile of the page's load to (optional)
import { chromium } from 'playwright-core';
import { writeFileSync } from 'node:fs';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const url = env('MUSTER_URL');
const total = Number(env('MUSTER_EXPECT_TOTAL'));
const failed = Number(env('MUSTER_EXPECT_FAILED'));
const pending = Number(env('MUSTER_EXPECT_PENDING'));
const REPEAT = 5;

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(0)} ms`;

// Installed before the page's own scripts: the page's long tasks, and a helper that times one user action from
// its input event to the first frame painted after the DOM answered.
const probe = () => {
  window.__long = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__long.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  /** Resolves with the ms from the next `type` event on document to the paint after `selector`'s subtree changed. */
  window.__timeNext = (type, selector) => new Promise((resolve) => {
    let t0 = null;
    const target = document.querySelector(selector);
    const observer = new MutationObserver(() => {
      if (t0 == null) return;
      observer.disconnect();
      // rAF runs before the frame's paint; a task posted from it runs after that paint.
      requestAnimationFrame(() => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve(performance.now() - t0);
        channel.port2.postMessage(null);
      });
    });
    observer.observe(target, { childList: true, subtree: true, characterData: true, attributes: true });
    document.addEventListener(type, (ev) => {
      t0 = ev.timeStamp;
    }, { capture: true, once: true });
  });
};

const browser = await chromium.launch({
  executablePath: env('MUSTER_CHROMIUM'),
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const errors = [];
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(120_000);
  page.on('pageerror', (err) => errors.push(String(err.stack ?? err)));
  await page.addInitScript(probe);
  const cdp = process.env.MUSTER_PROFILE ? await context.newCDPSession(page) : null;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
  }

  await page.goto(url + '/');
  // First render: the first page of cards drawn, from the navigation's start.
  const firstCards = await page.waitForFunction(() => document.querySelectorAll('#schema-list .card').length > 0
    && performance.now(), null, { polling: 'raf' }).then((h) => h.jsonValue());
  // A keystroke while the log is still being replayed (events arriving by the thousand).
  const duringReplay = await page.evaluate(() => {
    const timed = window.__timeNext('input', '#schema-range');
    const box = document.getElementById('schema-search');
    box.value = 'tenant_04';
    box.dispatchEvent(new InputEvent('input', { bubbles: true, data: '4', inputType: 'insertText' }));
    return timed;
  });
  await page.evaluate(() => {
    const box = document.getElementById('schema-search');
    box.value = '';
    box.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'deleteContentBackward' }));
  });
  // Everything in: every schema counted, and the event log replayed to its end (the newest event drawn).
  const complete = await page.waitForFunction((n) => document.getElementById('count-all').textContent === String(n)
    && performance.now(), total, { polling: 'raf' }).then((h) => h.jsonValue());
  await page.waitForFunction(() => document.getElementById('connection').textContent.includes('Live'));
  // Let the replay finish: the last-event label stops moving for a second.
  let last = '';
  let replayed = complete;
  for (;;) {
    const [text, at] = await page.evaluate(() => [document.getElementById('last-event').textContent, performance.now()]);
    if (text === last) break;
    last = text;
    replayed = at;
    await page.waitForTimeout(1000);
  }
  if (cdp) {
    const { profile } = await cdp.send('Profiler.stop');
    writeFileSync(process.env.MUSTER_PROFILE, JSON.stringify(profile));
  }
  const longTasks = await page.evaluate(() => window.__long);
  const longest = longTasks.reduce((m, t) => Math.max(m, t.duration), 0);
  const nav = await page.evaluate(() => performance.getEntriesByType('navigation')[0].responseEnd);

  // What it shows: counts by state, failed first, paging.
  const count = (state) => page.locator(`.counts .count[data-filter="${state}"] .n`).textContent();
  check(await count('failed') === String(failed), `failed count ${await count('failed')}, expected ${failed}`);
  check(await count('pending') === String(pending), `pending count ${await count('pending')}, expected ${pending}`);
  check(await count('ready') === String(total - failed - pending), `ready count ${await count('ready')}`);
  const states = await page.locator('#schema-list .card').evaluateAll((cards) => cards.map((c) => c.dataset.state));
  check(states.length === 24, `${states.length} cards on the first page, expected 24`);
  const expectedFirst = [...Array(failed).fill('failed'), ...Array(pending).fill('pending')];
  check(expectedFirst.every((st, i) => states[i] === st), `first cards ${states.slice(0, 16)}: not failed, then pending`);
  check((await page.locator('#page-info').textContent()) === `Page 1 of ${Math.ceil(total / 24)}`, 'pages');
  check((await page.locator('#failures').isVisible()), 'the failure banner');
  if (process.env.MUSTER_SCREENSHOT) {
    // The counts, the search box and the first page of cards: the banner above them is scrolled past.
    await page.locator('.summary').evaluate((el) => window.scrollTo(0,
      el.getBoundingClientRect().top + window.scrollY - document.querySelector('header').offsetHeight - 12));
    await page.screenshot({ path: process.env.MUSTER_SCREENSHOT, fullPage: false });
    console.log(`screenshot ${process.env.MUSTER_SCREENSHOT}`);
  }

  // One keystroke in the search box, to the frame that shows its answer.
  const search = page.locator('#schema-search');
  const keystroke = [];
  for (let i = 0; i < REPEAT; i++) {
    await search.fill('');
    await page.waitForFunction((n) => document.getElementById('schema-range').textContent.includes(`of ${n}`), total);
    await search.fill('tenant_0123');
    await page.waitForFunction(() => document.getElementById('schema-range').textContent.includes('of 10 matching'));
    const timed = page.evaluate(() => window.__timeNext('input', '#schema-range'));
    await search.press('4'); // tenant_01234: one match
    keystroke.push(await timed);
    check((await page.locator('#schema-list .card').count()) === 1, 'one card for tenant_01234');
  }
  // The first keystroke into an empty box: the list narrows from every schema.
  const firstKey = [];
  for (let i = 0; i < REPEAT; i++) {
    await search.fill('');
    await page.waitForFunction((n) => document.getElementById('schema-range').textContent.includes(`of ${n}`), total);
    const timed = page.evaluate(() => window.__timeNext('input', '#schema-range'));
    await search.press('9');
    firstKey.push(await timed);
  }
  await search.fill('');
  await page.waitForFunction((n) => document.getElementById('schema-range').textContent.startsWith('1–24 of'), total);

  // Next page, to the frame that shows it.
  const paging = [];
  for (let i = 0; i < REPEAT; i++) {
    const timed = page.evaluate(() => window.__timeNext('click', '#schema-list'));
    await page.locator('#page-next').click();
    paging.push(await timed);
    check((await page.locator('#page-info').textContent()) === `Page ${i + 2} of ${Math.ceil(total / 24)}`, 'next page');
  }
  // A state toggle: only the failed ones, then all again.
  const toggle = [];
  for (let i = 0; i < REPEAT; i++) {
    let timed = page.evaluate(() => window.__timeNext('click', '#schema-list'));
    await page.locator('.counts .count[data-filter="failed"]').click();
    toggle.push(await timed);
    check((await page.locator('#schema-list .card').count()) === failed, 'only the failed ones');
    timed = page.evaluate(() => window.__timeNext('click', '#schema-list'));
    await page.locator('.counts .count[data-filter="failed"]').click();
    toggle.push(await timed);
  }
  check(errors.length === 0, `page errors: ${errors.join('\n')}`);

  console.log(`schemas: ${total} (${failed} failed, ${pending} pending); newest event ${last}`);
  console.log(`html loaded                 ${fmt(nav)}`);
  console.log(`first cards drawn           ${fmt(firstCards)}`);
  console.log(`every schema counted        ${fmt(complete)}`);
  console.log(`event log replayed          ${fmt(replayed)} (to within the 1 s it is watched at)`);
  console.log(`long tasks during load      ${longTasks.length}, longest ${fmt(longest)}`);
  console.log(`keystroke during the replay ${fmt(duringReplay)}`);
  console.log(`search keystroke (1 match)  median ${fmt(median(keystroke))}, max ${fmt(Math.max(...keystroke))} (${REPEAT} runs)`);
  console.log(`first keystroke (all→some)  median ${fmt(median(firstKey))}, max ${fmt(Math.max(...firstKey))}`);
  console.log(`next page                   median ${fmt(median(paging))}, max ${fmt(Math.max(...paging))}`);
  console.log(`state toggle (failed)       median ${fmt(median(toggle))}, max ${fmt(Math.max(...toggle))}`);
} finally {
  await browser.close();
}
