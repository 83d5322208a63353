// The dashboard in headless Chromium, against the real orchestrator DashboardBrowserTest started.
// It asserts what the page shows; between checks it asks the JUnit test for the fleet's next move:
// it prints "STEP <name>" and waits for "OK" (or "FAIL <why>") on stdin.
//
//   MUSTER_URL          the orchestrator (whose dashboard is at /)
//   MUSTER_CHROMIUM     the browser binary (Debian's /usr/bin/chromium)
//   MUSTER_SCREENSHOTS  where to save screenshots
//   MUSTER_TENANTS      how many tenant_NNN schemas the test migrated before the page opened
//   MUSTER_READ_TOKEN   the read token the orchestrator asks for after step "lock"
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';
import path from 'node:path';

const url = required('MUSTER_URL');
const executablePath = required('MUSTER_CHROMIUM');
const shots = required('MUSTER_SCREENSHOTS');
const tenants = Number(process.env.MUSTER_TENANTS ?? '0');
const readToken = required('MUSTER_READ_TOKEN');

const stdin = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const pageErrors = [];

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** Hands over to the JUnit test for one step of the fleet's. */
async function step(name) {
  console.log(`STEP ${name}`);
  const { value, done } = await stdin.next();
  if (done || value !== 'OK') throw new Error(`the test failed step "${name}": ${done ? 'no answer' : value}`);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, name), fullPage: false });
  console.log(`screenshot ${name}`);
}

async function open(browser, colorScheme, address = '/') {
  const context = await browser.newContext({ colorScheme, viewport: { width: 1440, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (err) => pageErrors.push(`${colorScheme} page: ${err.stack ?? err}`));
  page.on('console', (msg) => console.log(`[${colorScheme} page, console.${msg.type()}] ${msg.text()}`));
  await page.goto(url + address);
  return page;
}

/** The card of one schema, found the way a screen reader would: the article named after it. */
const card = (page, name) => page.getByRole('article', { name, exact: true });
const stateOf = (page, name, state) => card(page, name).locator('.state', { hasText: state });
const events = (page) => page.getByRole('list', { name: 'Events, newest first' }).getByRole('listitem');

/**
 * The unfiltered timeline's event numbers, newest first. The log is gapless, so they must count down one
 * by one: nothing missed, nothing shown twice.
 */
async function shownSeqs(page) {
  const seqs = await events(page).evaluateAll((rows) => rows.map((r) => Number(r.dataset.seq)));
  check(seqs.length > 0 && seqs.every((n, i) => n === seqs[0] - i),
    `the timeline misses or repeats events: ${seqs.join(',')}`);
  return seqs;
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});

try {
  // 1. Before any service arrives: public has its migrations pending; the tenants are ready.
  const page = await open(browser, 'light');
  await page.locator('#connection', { hasText: 'Live' }).waitFor();
  await stateOf(page, 'public', 'pending').waitFor();
  await card(page, 'public').locator('.ver.target', { hasText: '3' }).waitFor();
  await page.locator('#count-all', { hasText: String(tenants + 1) }).waitFor();
  const firstPage = await page.locator('#schema-list > li').count();
  check(firstPage <= 24, `the schema list shows ${firstPage} cards, more than a page`);
  await shot(page, '01-pending.png');

  // 2. Services arrive; public's V2 waits on the test's gate, so the run stays visibly under way.
  await step('arrive');
  const pub = card(page, 'public');
  await stateOf(page, 'public', 'migrating').waitFor();
  await pub.locator('.fact.lock', { hasText: 'replica-a' }).waitFor();
  await pub.locator('.step[data-state="applied"]', { hasText: 'V1' }).waitFor();
  await pub.locator('.step[data-state="running"]', { hasText: 'V2' }).waitFor();
  await pub.locator('.chip', { hasText: '3 waiting' }).waitFor();
  await pub.locator('tr', { hasText: 'worker-1' }).locator('.status', { hasText: /^waiting .* since \d\d:\d\d/ }).waitFor();
  await pub.locator('tr', { hasText: 'beat-1' }).locator('.status', { hasText: 'gave up after' }).waitFor();

  // 3. Meanwhile a tenant's migration fails: the failure is at the top, with SQLSTATE and message.
  await step('break');
  const failures = page.getByRole('region', { name: /Migration failed/ });
  await failures.waitFor();
  await failures.locator('li', { hasText: 'tenant_broken' }).locator('.sqlstate', { hasText: '42P01' }).waitFor();
  await failures.locator('.message', { hasText: 'no_such_table' }).waitFor();
  await failures.locator('.migration', { hasText: 'V3 add audit' }).waitFor();
  const broken = card(page, 'tenant_broken');
  await stateOf(page, 'tenant_broken', 'failed').waitFor();
  await broken.locator('.error .sqlstate', { hasText: '42P01' }).waitFor();
  await broken.locator('.chip', { hasText: '2 failed' }).waitFor();
  await page.locator('.count[data-state="failed"] .n', { hasText: '1' }).waitFor();
  await shot(page, '02-migrating-and-failed.png');

  // 4. The gate opens: public is ready, its services released.
  await step('open-gate');
  await stateOf(page, 'public', 'ready').waitFor();
  await pub.locator('.chip', { hasText: '3 released' }).waitFor();
  await pub.locator('tr', { hasText: 'app-2' }).locator('.status', { hasText: 'released after' }).waitFor();
  await pub.locator('.fact.version .ver', { hasText: '3' }).waitFor();
  await events(page).filter({ hasText: 'ready at 3' }).filter({ hasText: 'public' }).first().waitFor();
  check((await pub.locator('.fact.lock').count()) === 0, 'public still shows a lock holder after its run');
  await shot(page, '03-ready.png');

  // 5. A page opened after the fact, in dark mode: the whole history, replayed from the log.
  const late = await open(browser, 'dark');
  await stateOf(late, 'public', 'ready').waitFor();
  const latePub = card(late, 'public');
  await latePub.locator('.chip', { hasText: '3 released' }).waitFor();
  await latePub.locator('.chip', { hasText: '1 gave up' }).waitFor();
  await late.getByRole('region', { name: /Migration failed/ }).locator('.sqlstate', { hasText: '42P01' }).waitFor();
  await events(late).filter({ hasText: 'V2 add orders applied in' }).filter({ hasText: 'public' }).first().waitFor();
  await events(late).filter({ hasText: 'took the lock' }).filter({ hasText: 'tenant_broken' }).first().waitFor();
  await events(late).filter({ hasText: 'V3 add audit failed: 42P01' }).first().waitFor();
  await shownSeqs(late);
  await shot(late, '04-late-dark.png');

  // Filters and search, by keyboard where a person would use it.
  const filter = late.getByLabel('Schema', { exact: true });
  await filter.fill('tenant_broken');
  await late.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#events > li')];
    return rows.length > 0 && rows.every((r) => r.querySelector('.schema').textContent === 'tenant_broken');
  });
  await late.getByLabel('Service', { exact: true }).selectOption('worker');
  await late.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#events > li')];
    return rows.length > 0 && rows.every((r) => r.dataset.service === 'worker');
  });
  await filter.fill('');
  await late.getByLabel('Service', { exact: true }).selectOption('');
  await late.getByRole('heading', { name: 'Schemas' }).click(); // away from the form fields, as a person would
  await late.keyboard.press('/');
  check(await late.getByLabel('Search schemas').evaluate((el) => el === document.activeElement), '"/" does not focus the search');
  await late.keyboard.type('broken');
  await late.waitForFunction(() => document.querySelectorAll('#schema-list > li').length === 1);
  await card(late, 'tenant_broken').waitFor();
  await late.keyboard.press('Escape');
  await late.locator('#page-info', { hasText: `Page 1 of ${Math.ceil((tenants + 2) / 24)}` }).waitFor();
  await late.getByRole('button', { name: 'Next →' }).click();
  await late.locator('#page-info', { hasText: 'Page 2 of' }).waitFor();
  const secondPage = await late.locator('#schema-list > li').count();
  check(secondPage >= 1 && secondPage <= 24, `page 2 shows ${secondPage} cards`);
  await late.getByRole('button', { name: /1 failed/ }).click();
  await late.waitForFunction(() => {
    const cards = [...document.querySelectorAll('#schema-list > li')];
    return cards.length === 1 && cards[0].dataset.schema === 'tenant_broken';
  });
  await late.setViewportSize({ width: 820, height: 1000 });
  await shot(late, '07-narrow-dark.png');
  await late.close();

  // 6. The orchestrator goes away; the page says so and keeps what it knew.
  const [newestBefore] = await shownSeqs(page);
  await step('stop');
  await page.locator('#connection', { hasText: 'Reconnecting' }).waitFor();
  await shot(page, '05-reconnecting.png');

  // 7. While it was down another replica migrated tenant_late; when it is back, the page catches up by
  //    itself from where it was (Last-Event-ID), without showing anything twice.
  await step('while-down');
  await page.locator('#connection', { hasText: 'Live' }).waitFor({ timeout: 30_000 });
  await stateOf(page, 'tenant_late', 'ready').waitFor();
  await card(page, 'tenant_late').locator('tr', { hasText: 'app-9' }).locator('.status', { hasText: 'released after' }).waitFor();
  await events(page).filter({ hasText: 'ready at 3' }).filter({ hasText: 'tenant_late' }).first().waitFor();
  await stateOf(page, 'public', 'ready').waitFor();
  await stateOf(page, 'tenant_broken', 'failed').waitFor();
  const [newestAfter] = await shownSeqs(page);
  check(newestAfter > newestBefore, 'the page shows no new events after the restart');
  await shot(page, '06-resynced.png');

  // 8. The orchestrator comes back asking for a read token: the page asks for it, says when it is wrong,
  //    and carries on with the right one. A link with #access_token= opens straight away.
  await step('lock');
  const tokenForm = page.getByRole('form', { name: /read token/ });
  await tokenForm.waitFor();
  await page.locator('#connection', { hasText: 'Needs a read token' }).waitFor();
  await page.getByLabel('Read token', { exact: true }).fill('not-the-token');
  await page.getByLabel('Read token', { exact: true }).press('Enter');
  await tokenForm.locator('p', { hasText: 'did not accept' }).waitFor();
  await shot(page, '08-read-token.png');
  await page.getByLabel('Read token', { exact: true }).fill(readToken);
  await tokenForm.getByRole('button', { name: 'Use token' }).click();
  await page.locator('#connection', { hasText: 'Live' }).waitFor();
  await tokenForm.waitFor({ state: 'hidden' });
  await stateOf(page, 'tenant_late', 'ready').waitFor();
  await shownSeqs(page);
  const linked = await open(browser, 'light', `/#access_token=${readToken}`);
  await linked.locator('#connection', { hasText: 'Live' }).waitFor();
  await stateOf(linked, 'public', 'ready').waitFor();
  await stateOf(linked, 'tenant_broken', 'failed').waitFor();
  check(!linked.url().includes(readToken), `the token stays in the address bar: ${linked.url()}`);
  await linked.close();

  check(pageErrors.length === 0, `the page threw:\n${pageErrors.join('\n')}`);
  console.log('dashboard e2e: all checks passed');
} catch (err) {
  console.log(`dashboard e2e FAILED: ${err.stack ?? err}`);
  if (pageErrors.length > 0) console.log(`page errors:\n${pageErrors.join('\n')}`);
  process.exitCode = 1;
  let n = 0;
  for (const context of browser.contexts()) {
    for (const p of context.pages()) {
      await p.screenshot({ path: path.join(shots, `failure-${++n}.png`) }).catch(() => {});
    }
  }
} finally {
  await browser.close();
  process.stdin.destroy();
}
