// One case's life in the local web chat, in a real browser: Debian's Chromium, driven by
// playwright-core through the page itself, as a person would use it (issue 12).
//
//   node tests/e2e/journey.mjs <url of the running server> <folder for screenshots>
//
// Sam reports a threat of violence; Jo acknowledges and records a written warning (the
// letter card); Sam reports again; Jo proposes a strategy that only blocks social media;
// Alex asks for changes; Jo resubmits; Bea approves (the letter card); Sam looks the case
// up; Sam records a breach (the reminder letter card). After each step a screenshot at a
// desktop width (1280 px) and a phone width (390 px), the text of every card that step
// showed (for tests/journey/reading.py), and the words a card split over two lines at the
// phone width. Prints one JSON summary; exits non-zero, with a screenshot, on a failure.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, out] = process.argv.slice(2);
if (!url || !out) {
  console.error('usage: node journey.mjs <url> <artifacts folder>');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const STEP_TIMEOUT = 20_000;
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const summary = { steps: [], cards: {}, console: [], reference: null, texts: {}, broken: {}, checks: {} };

// Every card control must have an accessible name; the card itself a role and a label.
function audit(root) {
  const text = id => (document.getElementById(id)?.textContent || '').trim();
  const nameOf = el => {
    const byIds = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean).map(text).join(' ').trim();
    const labels = el.labels ? [...el.labels].map(l => l.textContent.trim()).join(' ').trim() : '';
    const own = el.tagName === 'BUTTON' ? el.textContent.trim() : '';
    return byIds || (el.getAttribute('aria-label') || '').trim() || labels || (el.getAttribute('title') || '').trim() || own;
  };
  const controls = [...root.querySelectorAll('input, select, textarea, button')].filter(el => el.type !== 'hidden');
  return {
    role: root.getAttribute('role'),
    label: root.getAttribute('aria-label'),
    controls: controls.length,
    named: controls.filter(el => nameOf(el)).length,
    unnamed: controls.filter(el => !nameOf(el)).map(el => el.outerHTML.slice(0, 160)),
    names: controls.map(nameOf).slice(0, 80)
  };
}

// Words a card shows split over two lines (no hyphen): each word's rectangles must sit on
// one line. Checked at the phone width, where a narrow column would break them.
function brokenWords() {
  const broken = [];
  for (const block of document.querySelectorAll('.ac-adaptiveCard .ac-textBlock, .ac-adaptiveCard .ac-factset td, .ac-adaptiveCard button')) {
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const re = /[A-Za-z]{3,}/g;
      let m;
      while ((m = re.exec(node.textContent))) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
}

async function check(page, key, card) {
  await card.scrollIntoViewIfNeeded();
  const result = await card.evaluate(audit);
  summary.cards[key] = result;
  if (!result.role || !result.label) throw new Error(`${key}: the card has no role or label for screen readers`);
  if (result.unnamed.length) throw new Error(`${key}: controls without an accessible name: ${result.unnamed.join(' | ')}`);
  writeFileSync(join(out, `${key}.aria.yml`), await card.ariaSnapshot());
}

let current = null;
let focus = null; // the card a step is about, for the phone-width screenshot

async function settle(page) {
  // Web Chat says "Connecting…" for a moment after a switch; show the settled chat.
  await page.locator('.webchat__connectivityStatus', { hasText: 'Connecting' }).waitFor({ state: 'hidden' });
}

async function step(page, name, run) {
  const started = Date.now();
  await run();
  await settle(page);
  const settled = Date.now();
  // The cards this step showed, as their text reads on screen.
  const cards = page.locator('.ac-adaptiveCard');
  const count = await cards.count();
  const texts = [];
  for (let i = 0; i < count; i++) {
    const card = cards.nth(i);
    if (await card.evaluate(el => !el.parentElement.closest('.ac-adaptiveCard'))) texts.push(await card.innerText());
  }
  // And the short messages (a button's answer shows as one here).
  const messages = await page.locator('.webchat__text-content').allInnerTexts();
  summary.texts[name] = { viewer: current, cards: texts, messages };
  await page.screenshot({ path: join(out, `${name}-1280.png`) });
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(150); // let the layout reflow before it is measured
  // On a phone the people list stacks above the chat: bring the step's card into view.
  const shown = focus || page.locator('.ac-adaptiveCard').last();
  await shown.scrollIntoViewIfNeeded().catch(() => {});
  focus = null;
  summary.broken[name] = await page.evaluate(brokenWords);
  await page.screenshot({ path: join(out, `${name}-390.png`) });
  await page.setViewportSize(DESKTOP);
  summary.steps.push({ name, ms: settled - started });
}

const cardLabelled = (page, label) => page.locator(`.ac-adaptiveCard[aria-label^="${label}"]`).last();
const cardSaying = (page, text) => page.locator('.ac-adaptiveCard').filter({ hasText: text }).last();

async function as(page, name) {
  const who = page.getByRole('button', { name: new RegExp(`^${name}`) });
  await who.click();
  await page.getByRole('heading', { name: `Chatting as ${name}` }).waitFor();
  current = name;
  await settle(page);
}

async function say(page, text) {
  const box = page.locator('[data-id="webchat-sendbox-input"]');
  await box.fill(text);
  await box.press('Enter');
}

async function tick(form, name, value) {
  const named = form.locator(`input[name="${name}"][value="${value}"]`);
  const box = (await named.count()) ? named.first() : form.locator(`input[value="${value}"]`).first();
  await box.check();
}

// Submit a form card; Teams (and this page) replace it with the bot's answer.
// (The answer may carry the form's title too, so wait for this form to go, not a count.)
async function submit(page, form, label, button) {
  const handle = await form.elementHandle();
  await form.getByRole('button', { name: button, exact: true }).click();
  await handle.waitForElementState('hidden');
}

async function report(page, { person, reference, channel, behaviours, what, violence }) {
  await say(page, 'incident');
  const form = cardLabelled(page, 'Report an incident');
  await form.waitFor();
  if (reference) {
    await form.getByRole('textbox', { name: 'Member of the public', exact: true }).fill(reference);
  } else {
    await form.getByRole('textbox', { name: /if they are new, their name/ }).fill(person);
  }
  await form.getByRole('combobox', { name: 'How were they in contact?' }).selectOption(channel);
  for (const b of behaviours) await form.locator(`input[type="checkbox"][value="${b}"]`).check();
  await form.getByRole('textbox', { name: 'What happened?' }).fill(what);
  await form.locator('input[type="checkbox"][value="warned"]').check();
  await form.locator(`input[name="violence"][value="${violence}"]`).check();
  for (const q of ['explained', 'proportionate', 'communicated', 'support', 'rationale']) {
    await form.locator(`input[name="s4_${q}"][value="yes"]`).check();
  }
  return form;
}

const profile = mkdtempSync(join(tmpdir(), 'safecontact-journey-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'
  ],
  viewport: DESKTOP,
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
    await as(page, 'Sam Rivers');
    if ((await page.getByRole('button', { name: /^Sam Rivers/ }).getAttribute('aria-pressed')) !== 'true') {
      throw new Error('the chosen person is not marked as pressed');
    }
    await check(page, 'help-card', cardLabelled(page, 'What I can do'));
    summary.checks.banner = await page.locator('#notice').innerText();
  });

  await step(page, '02-violence-reported', async () => {
    const form = await report(page, {
      person: 'Dennis Harlow', channel: 'telephone', behaviours: ['abuse', 'threats_harm'],
      what: 'Said they would come to the office and hurt me. (Journey test.)', violence: 'yes'
    });
    await check(page, 'incident-form', form);
    await submit(page, form, 'Report an incident', 'Send report');
    const saved = cardSaying(page, 'Report saved');
    await saved.waitFor();
    const match = (await saved.innerText()).match(/SC-\d{4}-\d{5}/);
    if (!match) throw new Error('no case reference in the confirmation');
    summary.reference = match[0];
    await check(page, 'confirmation', saved);
    // The receipt and the welfare check-in arrive on their own, through the outbox.
    await cardSaying(page, 'How are you after this?').waitFor();
  });

  await step(page, '03-manager-acknowledges', async () => {
    const jo = page.getByRole('button', { name: /^Jo Fielding/ });
    await jo.getByText(/\d+ new/).waitFor();
    await as(page, 'Jo Fielding');
    const card = cardLabelled(page, `Incident report ${summary.reference}`);
    await card.waitFor();
    await check(page, 'incident-card', card);
    await card.getByRole('button', { name: 'Acknowledge' }).click();
    await card.getByText(/Acknowledged by Jo Fielding/).waitFor();
    if ((await page.locator(`.ac-adaptiveCard[aria-label^="Incident report ${summary.reference}"]`).count()) !== 1) {
      throw new Error('the card was not updated in place (there is more than one copy)');
    }
    await check(page, 'incident-card-acknowledged', card);
  });

  await step(page, '04-written-warning-letter', async () => {
    const card = cardLabelled(page, `Incident report ${summary.reference}`);
    await card.getByRole('button', { name: 'Record warning' }).click();
    const form = cardLabelled(page, 'Record a warning');
    await form.waitFor();
    await tick(form, 'warning_kind', 'written');
    await form.getByRole('textbox', { name: /behaviour/i }).fill('Do not threaten staff, in person or on the phone.');
    await submit(page, form, 'Record a warning', 'Record warning');
    const letter = cardSaying(page, 'Dear Dennis Harlow');
    await letter.waitFor();
    await check(page, 'warning-letter', letter);
    await letter.scrollIntoViewIfNeeded();
    focus = letter;
  });

  await step(page, '05-second-incident', async () => {
    await as(page, 'Sam Rivers');
    const form = await report(page, {
      reference: summary.reference, channel: 'email', behaviours: ['demand_updates'],
      what: 'Emailed six times in an hour demanding a call back. (Journey test.)', violence: 'no'
    });
    await submit(page, form, 'Report an incident', 'Send report');
    await cardSaying(page, 'Report saved').waitFor();
  });

  await step(page, '06-proposal', async () => {
    await as(page, 'Jo Fielding');
    const cards = page.locator(`.ac-adaptiveCard[aria-label^="Incident report ${summary.reference}"]`);
    await page.waitForFunction(
      sel => document.querySelectorAll(sel).length === 2,
      `.ac-adaptiveCard[aria-label^="Incident report ${summary.reference}"]`
    );
    const card = cards.last();
    await card.getByRole('button', { name: 'Propose contact strategy' }).click();
    const form = cardLabelled(page, 'Propose a strategy');
    await form.waitFor();
    await check(page, 'strategy-form', form);
    // A written warning is on file, so "warned first" starts at Yes (issue 12 item 5).
    summary.checks.warnedFirstDefault = await form.locator('input[name="warning_given"][value="yes"]').isChecked();
    // Only social media blocked: no call length asked for, and the form can be sent (item 3).
    await tick(form, 'restrictions', 'block_channels');
    await tick(form, 'blocked_channels', 'social_media');
    await form.getByRole('textbox', { name: /Reasonable adjustments considered/ }).fill('Letters in plain English; none needed beyond that.');
    await form.getByRole('textbox', { name: /Reasons for the strategy/ }).fill('Threatened a member of staff, then kept posting about them on social media after a written warning.');
    for (const c of ['addressed', 'communication', 'access', 'misunderstandings', 'proportionate']) {
      await tick(form, 'criteria', c);
    }
    const notes = form.getByRole('textbox', { name: /^Note:/ });
    for (let i = 0; i < (await notes.count()); i++) await notes.nth(i).fill('Checked against the case file.');
    await submit(page, form, 'Propose a strategy', 'Send for approval');
    const sent = cardSaying(page, 'to decide');
    await sent.waitFor();
    summary.checks.proposalSentTo = await sent.innerText();
    // The incident cards stop offering Propose while it waits (item 7).
    await page.locator(`.ac-adaptiveCard[aria-label^="Incident report ${summary.reference}"]`).last()
      .getByText(/waiting for an authoriser/).waitFor();
    summary.checks.proposeStillOffered = await page
      .locator(`.ac-adaptiveCard[aria-label^="Incident report ${summary.reference}"]`)
      .getByRole('button', { name: 'Propose contact strategy' }).count();
  });

  await step(page, '07-authoriser-asks-for-changes', async () => {
    await as(page, 'Alex Moreno');
    const card = cardSaying(page, 'Ask for changes');
    await card.waitFor();
    await check(page, 'authorisation-card', card);
    await card.getByRole('button', { name: 'Ask for changes' }).click();
    const form = cardLabelled(page, 'Ask for changes');
    await form.waitFor();
    await form.locator('textarea, input[type="text"]').first().fill('Say which social media accounts, and add a review in three months.');
    await submit(page, form, 'Ask for changes', 'Send back');
  });

  await step(page, '08-proposer-resubmits', async () => {
    await as(page, 'Jo Fielding');
    const notice = cardSaying(page, 'Edit and resubmit');
    await notice.waitFor();
    await notice.getByRole('button', { name: 'Edit and resubmit' }).click();
    const form = cardLabelled(page, 'Propose a strategy');
    await form.waitFor();
    await form.getByRole('textbox', { name: /Reasons for the strategy/ }).fill('Threatened a member of staff, then kept posting about them on Facebook and X after a written warning.');
    await submit(page, form, 'Propose a strategy', 'Send for approval');
    await cardSaying(page, 'to decide').waitFor();
  });

  await step(page, '09-approved', async () => {
    await as(page, 'Bea Okafor');
    const card = cardSaying(page, 'Facebook and X');
    await card.waitFor();
    await card.getByRole('button', { name: 'Approve', exact: true }).click();
    await card.getByRole('button', { name: 'Yes, approve' }).click();
    await card.getByText(/Approved/).first().waitFor();
  });

  await step(page, '10-strategy-letter', async () => {
    await as(page, 'Jo Fielding');
    const letter = cardSaying(page, 'Blocked: social media');
    await letter.waitFor();
    await check(page, 'strategy-letter', letter);
    await letter.scrollIntoViewIfNeeded();
    focus = letter;
  });

  await step(page, '10b-letter-sent', async () => {
    // Approved is not in force (s6, s7): Jo sends the letter and records it, and only
    // then does the strategy take effect.
    const ready = cardSaying(page, 'not in force');
    await ready.waitFor();
    await ready.getByRole('button', { name: 'Record letter sent' }).click();
    const form = cardLabelled(page, 'Record letter sent');
    await form.waitFor();
    await submit(page, form, 'Record letter sent', 'Record');
    await cardSaying(page, 'now in force').waitFor();
  });

  await step(page, '11-case-as-reporter', async () => {
    await as(page, 'Sam Rivers');
    await say(page, `case ${summary.reference}`);
    const card = cardLabelled(page, `Case ${summary.reference}`);
    await card.waitFor();
    await card.getByText(/Contact strategy in force/).waitFor();
    await check(page, 'case-card', card);
    focus = card;
  });

  await step(page, '12-breach-and-reminder-letter', async () => {
    await say(page, `breach ${summary.reference}`);
    const form = cardLabelled(page, 'Record a breach');
    await form.waitFor();
    await form.locator('select').first().selectOption({ index: 1 }).catch(async () => {});
    const channel = form.getByRole('combobox', { name: /channel|How/ });
    if (await channel.count()) await channel.first().selectOption('social_media').catch(() => {});
    await form.locator('textarea').first().fill('Posted about the member of staff on social media again.');
    await submit(page, form, 'Record a breach', 'Record breach');
    await cardSaying(page, 'Breach recorded').waitFor();
    // The reminder letter comes to whoever recorded the breach, to send.
    await cardSaying(page, 'Letter for').waitFor();
    await as(page, 'Jo Fielding');
    await cardSaying(page, 'Breach of contact strategy').waitFor();
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
// Exit only once the summary is written: process.exit() right after console.log cuts a
// piped stdout at the pipe's 64 KiB buffer.
process.stdout.write(JSON.stringify(summary) + '\n', () => process.exit(failed ? 1 : 0));
