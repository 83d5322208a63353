// A blocked run on the dashboard, in headless Chromium, against the orchestrator BlockedRunBrowserTest started:
// public's V2 waits for the test's "app-3" session, idle in transaction. Same protocol as dashboard.e2e.mjs:
// "STEP <name>" on stdout, "OK" on stdin.
//
//   MUSTER_URL          the orchestrator (whose dashboard is at /)
//   MUSTER_CHROMIUM     the browser binary
//   MUSTER_SCREENSHOTS  where to save screenshots
//   MUSTER_BLOCKER_PID  the blocking session's pid
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';
import path from 'node:path';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const url = env('MUSTER_URL');
const pid = env('MUSTER_BLOCKER_PID');
const shots = env('MUSTER_SCREENSHOTS');
const stdin = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const pageErrors = [];

async function step(name) {
  console.log(`STEP ${name}`);
  const { value, done } = await stdin.next();
  if (done || value !== 'OK') throw new Error(`the test failed step "${name}": ${done ? 'no answer' : value}`);
}

const browser = await chromium.launch({
  executablePath: env('MUSTER_CHROMIUM'),
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (err) => pageErrors.push(String(err.stack ?? err)));
  await page.goto(url + '/');
  await page.locator('#connection', { hasText: 'Live' }).waitFor();

  // The run is under way and says what it waits for: the blocker's pid, its application, its state and age.
  const card = page.getByRole('article', { name: 'public', exact: true });
  await card.locator('.state', { hasText: 'migrating' }).waitFor();
  const blocked = card.getByRole('status', { name: "What public's run waits for" });
  await blocked.locator('.blocked-text',
    { hasText: new RegExp(`^V2 waits for pid ${pid} — app-3, idle in transaction for \\d+ s`) }).waitFor();
  await card.locator('.fact.lock .lock-age').waitFor();
  // The line ages by itself, with no new event: it is the blocker's age, not the page's.
  const before = Number((await blocked.locator('.blocked-text').textContent()).match(/for (\d+) s/)[1]);
  await page.waitForFunction((b) => {
    const m = document.querySelector('.card .blocked-text')?.textContent.match(/for (\d+) s/);
    return m && Number(m[1]) > b;
  }, before);
  await page.getByRole('list', { name: 'Events, newest first' }).getByRole('listitem')
    .filter({ hasText: 'migration.blocked' }).first().waitFor();
  await page.screenshot({ path: path.join(shots, 'blocked.png') });
  console.log('screenshot blocked.png');

  // The blocker ends: the run finishes and the card no longer shows a wait.
  await step('release');
  await card.locator('.state', { hasText: 'ready' }).waitFor();
  if (await card.locator('.blocked').count() !== 0) throw new Error('a ready schema still shows a blocked run');
  if (pageErrors.length) throw new Error(`the page threw: ${pageErrors.join('\n')}`);
  console.log('blocked e2e: all checks passed');
} catch (err) {
  console.log(`blocked e2e FAILED: ${err.stack ?? err}`);
  if (pageErrors.length > 0) console.log(`page errors:\n${pageErrors.join('\n')}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  process.stdin.destroy(); // the step reader would keep node alive
}
