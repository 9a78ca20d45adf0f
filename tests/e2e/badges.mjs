// The "N new" badges across a server restart, in Debian's Chromium (playwright-core).
//
//   node tests/e2e/badges.mjs <url of the running server> <folder for screenshots>
//
// Choose Jo Fielding and ask for help a few times (so the page has seen several of Jo's
// messages), then Sam Rivers; print "ready" and wait for a line on stdin, while the test
// stops the server, loads the demo history and starts it again on the same address. Then,
// with the page left open as a trainer would leave it, Jo's incident card waits: the list
// must say so with a badge. Prints one JSON summary; exits non-zero if a step fails.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const [url, out] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const summary = { before: {}, after: {} };
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

const profile = mkdtempSync(join(tmpdir(), 'safecontact-badges-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  viewport: { width: 1280, height: 900 },
  locale: 'en-GB'
});
context.setDefaultTimeout(30_000);
const page = context.pages()[0] || (await context.newPage());
const person = name => page.getByRole('button', { name: new RegExp(name) });
const badge = async name => ((await person(name).locator('.badge').textContent()) || '').trim();

let failed = null;
try {
  await page.goto(url);
  await person('Jo Fielding').click();
  await page.getByRole('heading', { name: 'Chatting as Jo Fielding' }).waitFor();
  const box = page.locator('[data-id="webchat-sendbox-input"]');
  // Polled from here: waitForFunction does not wait for a promise a predicate returns.
  const joMessages = () => page.evaluate(async () =>
    (await (await fetch('/webchat/api/people')).json()).people.find(p => p.name === 'Jo Fielding').messages);
  const seenOfJo = () => page.evaluate(() =>
    (s => s.seen || s)(JSON.parse(sessionStorage.getItem('safecontact.seen') || '{}'))[new URLSearchParams(location.hash.slice(1)).get('as')] || 0);
  const until = async (what, test) => {
    for (const started = Date.now(); !(await test());) {
      if (Date.now() - started > 30_000) throw new Error(`timed out waiting for ${what}`);
      await page.waitForTimeout(200);
    }
  };
  for (let i = 1; i <= 3; i++) {
    const had = await joMessages();
    await box.fill('help');
    await box.press('Enter');
    await until(`help answer ${i}`, async () => (await joMessages()) > had);
  }
  // The list refreshes every 2 s; once it has, the page has seen all of Jo's messages.
  const total = await joMessages();
  await until('the page to see Jo\'s messages', async () => (await seenOfJo()) >= total);
  await person('Sam Rivers').click();
  await page.getByRole('heading', { name: 'Chatting as Sam Rivers' }).waitFor();
  summary.before.seen = await page.evaluate(() => sessionStorage.getItem('safecontact.seen'));
  summary.before.jo = await badge('Jo Fielding');
  console.log('ready');
  await lines.next(); // the server was restarted with the demo history loaded
  // The page holds the old server's key; it reloads itself to be given the new one.
  const reachable = async () => { try { return await joMessages(); } catch { return null; } };
  await until('the page to come back after the restart', async () => (await reachable()) !== null);
  summary.after.waited = await joMessages();
  await person('Jo Fielding').getByText(/\d+ new/).waitFor();
  summary.after.jo = await badge('Jo Fielding');
  await page.screenshot({ path: join(out, 'badges-after-restart.png') });
} catch (error) {
  failed = error;
  await page.screenshot({ path: join(out, 'badges-failure.png') }).catch(() => {});
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
summary.ok = !failed;
if (failed) summary.error = String(failed.stack || failed);
console.log(JSON.stringify(summary));
process.exit(failed ? 1 : 0);
