// The local web chat in a real browser: Debian's Chromium, driven by playwright-core.
//
//   node tests/e2e/walk.mjs <url of the running server> <folder for screenshots>
//
// The walk a trainer would do: choose the reporter, send `incident`, fill in the card and
// submit it, see the confirmation; switch to the manager and see the incident card that
// arrived proactively; click Acknowledge and see the card change in place. A screenshot
// is saved after each step, and each card is checked for what a screen reader needs (a
// role and a label on the card, a name on every input and button). Prints one JSON
// summary; exits non-zero, with a screenshot of the page as it was, if a step fails.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, out] = process.argv.slice(2);
if (!url || !out) {
  console.error('usage: node walk.mjs <url> <artifacts folder>');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const STEP_TIMEOUT = 20_000;
const summary = { steps: [], cards: {}, console: [], reference: null };

// Every card control must have an accessible name; the card itself a role and a label.
function audit(root) {
  const text = id => (document.getElementById(id)?.textContent || '').trim();
  const nameOf = el => {
    const byIds = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean).map(text).join(' ').trim();
    const labels = el.labels ? [...el.labels].map(l => l.textContent.trim()).join(' ').trim() : '';
    const own = el.tagName === 'BUTTON' ? el.textContent.trim() : '';
    // In the order browsers compute an accessible name.
    return byIds || (el.getAttribute('aria-label') || '').trim() || labels || (el.getAttribute('title') || '').trim() || own;
  };
  const controls = [...root.querySelectorAll('input, select, textarea, button')].filter(el => el.type !== 'hidden');
  return {
    role: root.getAttribute('role'),
    label: root.getAttribute('aria-label'),
    controls: controls.length,
    named: controls.filter(el => nameOf(el)).length,
    unnamed: controls.filter(el => !nameOf(el)).map(el => el.outerHTML.slice(0, 160)),
    names: controls.map(nameOf).slice(0, 60)
  };
}

async function check(page, key, card) {
  await card.scrollIntoViewIfNeeded();
  const result = await card.evaluate(audit);
  summary.cards[key] = result;
  if (!result.role || !result.label) throw new Error(`${key}: the card has no role or label for screen readers`);
  if (result.unnamed.length) throw new Error(`${key}: controls without an accessible name: ${result.unnamed.join(' | ')}`);
  writeFileSync(join(out, `${key}.aria.yml`), await card.ariaSnapshot());
}

async function step(page, name, run) {
  const started = Date.now();
  await run();
  // Web Chat says "Connecting…" for a moment after a switch; show the settled chat.
  await page.locator('.webchat__connectivityStatus', { hasText: 'Connecting' }).waitFor({ state: 'hidden' });
  const settled = Date.now();
  await page.screenshot({ path: join(out, `${name}.png`) });
  summary.steps.push({ name, ms: settled - started, screenshotMs: Date.now() - settled });
}

const cardLabelled = (page, label) => page.locator(`.ac-adaptiveCard[aria-label^="${label}"]`).last();
const cardSaying = (page, text) => page.locator('.ac-adaptiveCard').filter({ hasText: text }).last();

const profile = mkdtempSync(join(tmpdir(), 'safecontact-e2e-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'
  ],
  viewport: { width: 1280, height: 900 },
  locale: 'en-GB',
  timezoneId: 'Europe/London'
});
context.setDefaultTimeout(STEP_TIMEOUT);
const page = context.pages()[0] || (await context.newPage());
page.on('console', message => {
  if (message.type() === 'error' || message.type() === 'warning') {
    summary.console.push(`${message.type()}: ${message.text()}`);
  }
});
page.on('pageerror', error => summary.console.push(`pageerror: ${error.message}`));

let failed = null;
try {
  await step(page, '01-reporter-chosen', async () => {
    await page.goto(url);
    await page.getByRole('button', { name: /Sam Rivers/ }).click();
    await page.getByRole('heading', { name: 'Chatting as Sam Rivers' }).waitFor();
    if ((await page.getByRole('button', { name: /Sam Rivers/ }).getAttribute('aria-pressed')) !== 'true') {
      throw new Error('the chosen person is not marked as pressed');
    }
    await check(page, 'help-card', cardLabelled(page, 'What I can do'));
  });

  await step(page, '02-incident-submitted', async () => {
    const box = page.locator('[data-id="webchat-sendbox-input"]');
    await box.fill('incident');
    await box.press('Enter');
    const form = cardLabelled(page, 'Report an incident');
    await form.waitFor();
    await check(page, 'incident-form', form);
    await form.getByRole('textbox', { name: /if they are new, their name/ }).fill('Robin Placeholder');
    await form.getByRole('combobox', { name: 'How were they in contact?' }).selectOption('telephone');
    await form.locator('input[type="checkbox"][value="abuse"]').check();
    await form.getByRole('textbox', { name: 'What happened?' }).fill(
      'Shouted and swore when told their complaint was still being looked at. (End-to-end test.)'
    );
    await form.locator('input[type="checkbox"][value="warned"]').check();
    await form.locator('input[name="violence"][value="no"]').check();
    for (const q of ['explained', 'proportionate', 'communicated', 'support', 'rationale']) {
      await form.locator(`input[name="s4_${q}"][value="yes"]`).check();
    }
    const forms = '.ac-adaptiveCard[aria-label="Report an incident"]';
    const before = await page.locator(forms).count();
    await form.getByRole('button', { name: 'Send report' }).click();
    // Teams replaces the form with the bot's answer; so does this channel.
    await page.waitForFunction(
      ([selector, n]) => document.querySelectorAll(selector).length === n - 1,
      [forms, before]
    );
    const saved = cardSaying(page, 'Report saved');
    await saved.waitFor();
    const text = await saved.innerText();
    const match = text.match(/SC-\d{4}-\d{5}/);
    if (!match) throw new Error(`no case reference in the confirmation: ${text}`);
    summary.reference = match[0];
    await check(page, 'confirmation', saved);
    // The receipt and the welfare check-in arrive on their own, through the outbox.
    await cardSaying(page, 'How are you after this?').waitFor();
    await saved.scrollIntoViewIfNeeded();
  });

  await step(page, '03-manager-sees-card', async () => {
    const jo = page.getByRole('button', { name: /Jo Fielding/ });
    await jo.getByText(/\d+ new/).waitFor(); // the card reached Jo before anyone looked
    await jo.click();
    await page.getByRole('heading', { name: 'Chatting as Jo Fielding' }).waitFor();
    const card = cardLabelled(page, `Incident report ${summary.reference}`);
    await card.waitFor();
    await card.getByText('Robin Placeholder', { exact: false }).first().waitFor();
    await card.getByRole('button', { name: 'Acknowledge' }).waitFor();
    await check(page, 'incident-card', card);
  });

  await step(page, '04-acknowledged', async () => {
    const card = cardLabelled(page, `Incident report ${summary.reference}`);
    await card.getByRole('button', { name: 'Acknowledge' }).click();
    // The outbox edits the card in place (PUT .../activities/{id}); Web Chat replaces it.
    await card.getByText(/Acknowledged by Jo Fielding/).waitFor();
    if (await card.getByRole('button', { name: 'Acknowledge' }).count()) {
      throw new Error('the Acknowledge button is still on the card');
    }
    if ((await page.locator(`.ac-adaptiveCard[aria-label^="Incident report ${summary.reference}"]`).count()) !== 1) {
      throw new Error('the card was not updated in place (there is more than one copy)');
    }
    await check(page, 'incident-card-acknowledged', card);
    await card.scrollIntoViewIfNeeded();
  });
} catch (error) {
  failed = error;
  await page.screenshot({ path: join(out, '99-failure.png') }).catch(() => {});
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

summary.ok = !failed;
if (failed) summary.error = String(failed.stack || failed);
writeFileSync(join(out, 'summary.json'), JSON.stringify(summary, null, 2));
console.log(JSON.stringify(summary));
process.exit(failed ? 1 : 0);
