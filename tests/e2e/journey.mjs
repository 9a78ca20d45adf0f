// One case's life in the local web chat, in a real browser: Debian's Chromium, driven by
// playwright-core through the page itself, as a person would use it (issue 12).
//
//   node tests/e2e/journey.mjs <url of the running server> <folder for screenshots> \
//        <the safecontact command> <the folder serve runs in>
//
// Sam reports a threat of violence; Jo acknowledges and records a written warning (the
// letter card); Sam reports again; Jo proposes a strategy that only blocks social media;
// Alex asks for changes; Jo resubmits; Bea approves (the letter card, read as paragraphs,
// its PDF and large-print PDF downloaded through the card's buttons); Jo records the letter
// sent, which puts the strategy in force; Sam looks the case up; Sam records a breach (the
// reminder letter card); Sam logs a contact that raises a new complaint; Alex reviews the
// strategy and continues it, from the review reminder `safecontact jobs run-due` sends (the
// strategy's review is set 14 days out, so its first reminder falls due today); Sam records
// a dispute and Casey, the Chief Executive, decides it (the outcome letter card); Jo ends
// the strategy at a later review (the ended letter card); the person's subject access export (`safecontact export-person`, opened in the browser); and
// the retention purge once its period has passed (`safecontact retention purge --at`),
// after which /case no longer names them. After each step a screenshot at a
// desktop width (1280 px) and a phone width (390 px), the text of every card that step
// showed (for tests/journey/reading.py), and the words a card split over two lines at the
// phone width. Writes summary.json beside the screenshots and prints the verdict; exits non-zero, with a screenshot, on a failure.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, out, command, workdir] = process.argv.slice(2);
if (!url || !out || !command || !workdir) {
  console.error('usage: node journey.mjs <url> <artifacts folder> <safecontact command> <serve folder>');
  process.exit(2);
}

// The command line, as an operator runs it beside the server: same folder, same database.
function cli(...args) {
  return execFileSync(command, args, { cwd: workdir, encoding: 'utf8', timeout: 60_000 });
}
mkdirSync(out, { recursive: true });
const STEP_TIMEOUT = 20_000;
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const summary = { steps: [], cards: {}, console: [], reference: null, texts: {}, broken: {}, checks: {}, sent: [] };

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
  // Web Chat may re-render a card as later activities arrive; a card replaced between
  // finding it and reading it is found again (the locator re-resolves), up to three times.
  let result;
  for (let attempt = 1; ; attempt++) {
    try {
      await card.scrollIntoViewIfNeeded();
      result = await card.evaluate(audit);
      break;
    } catch (error) {
      if (attempt >= 3 || !/not attached to the DOM/.test(String(error))) throw error;
    }
  }
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

// Two animation frames and a moment: Web Chat re-lays its transcript out after a resize
// or a scroll, and a screenshot taken during that shows a blank pane.
async function painted(page) {
  await page.evaluate(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))).catch(() => {});
  await page.waitForTimeout(200);
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
  await painted(page);
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
  current = name; // before the click: the new chat's first request is theirs
  await who.click();
  await page.getByRole('heading', { name: `Chatting as ${name}` }).waitFor();
  await settle(page);
}

// Fill every text box a form left empty (forms gain fields as the product grows; a step
// names the boxes it cares about and gives the rest a plain sentence).
async function fillEmpty(form, text) {
  const boxes = form.locator('textarea');
  for (let i = 0; i < (await boxes.count()); i++) {
    if (!(await boxes.nth(i).inputValue())) await boxes.nth(i).fill(text);
  }
}

function isoDay(offsetDays) {
  const d = new Date(Date.now() + offsetDays * 86_400_000);
  return d.toISOString().slice(0, 10);
}

// The case card this request brings: a new one, not an earlier answer still on screen.
// (Judged by the last such card changing, not by their number: Web Chat may drop old
// activities from the page as a long conversation grows.)
async function caseCard(page) {
  const selector = `.ac-adaptiveCard[aria-label^="Case ${summary.reference}"]`;
  const cards = page.locator(selector);
  const old = (await cards.count()) ? await cards.last().elementHandle() : null;
  await say(page, `case ${summary.reference}`);
  await page.waitForFunction(
    ([sel, previous]) => {
      const all = document.querySelectorAll(sel);
      return all.length > 0 && all[all.length - 1] !== previous;
    },
    [selector, old],
    { timeout: STEP_TIMEOUT },
  );
  return cards.last();
}

// Type and send, as a person would; a send Web Chat missed while it was still drawing
// (the box still holds the text) is pressed again, up to three times.
async function say(page, text) {
  const box = page.locator('[data-id="webchat-sendbox-input"]');
  for (let attempt = 1; ; attempt++) {
    await box.fill(text);
    await box.press('Enter');
    try {
      await page.waitForFunction(el => el.value === '', await box.elementHandle(), { timeout: 5_000 });
      return;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
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

// Press a card's "Download …" button as a person would: Web Chat opens the link in a new
// window, where the PDF downloads. The link the browser asked for is taken from the
// requests it made (any window of this browser), fetched again with the browser's own
// request context, and kept beside the screenshots for the test to read back.
async function download(page, card, button, file) {
  const asked = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${button}: the button opened no letter link`)), STEP_TIMEOUT);
    const onRequest = request => {
      if (/\/letters\/\d+\.pdf\?/.test(request.url())) {
        clearTimeout(timer);
        page.context().off('request', onRequest);
        resolve(request.url());
      }
    };
    page.context().on('request', onRequest);
  });
  await card.getByRole('button', { name: button, exact: true }).click();
  const link = await asked;
  for (const other of page.context().pages()) if (other !== page) await other.close().catch(() => {});
  const response = await page.request.get(link);
  const body = await response.body();
  writeFileSync(join(out, file), body);
  return {
    link, file, status: response.status(), type: response.headers()['content-type'] || '',
    disposition: response.headers()['content-disposition'] || '', bytes: body.length
  };
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
// Every card the bot sent, as Direct Line handed it to the page, with whose chat it came
// in: the test checks each button against the registry's rule for that person (issue 12
// B4). A chat is credited to whoever was chatting when the page first asked for its
// activities; a poll of the previous chat can still answer after a switch.
const ACTIVITIES = /\/v3\/directline\/conversations\/([^/]+)\/activities/;
const owners = new Map();
page.on('request', request => {
  const match = ACTIVITIES.exec(request.url());
  if (match && !owners.has(match[1])) owners.set(match[1], current);
});
page.on('response', async response => {
  const match = ACTIVITIES.exec(response.url());
  if (!match || response.request().method() !== 'GET') return;
  const viewer = owners.get(match[1]);
  try {
    const body = await response.json();
    for (const activity of body.activities || []) {
      if (activity.from?.role === 'user') continue;
      for (const a of activity.attachments || []) {
        if (a.contentType === 'application/vnd.microsoft.card.adaptive') summary.sent.push({ viewer, card: a.content });
      }
    }
  } catch {
    // a body that is not JSON carries no card
  }
});

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
    // Jo posts it and records it sent: only then does the warning count as given (s6).
    const ready = cardLabelled(page, `Letter for ${summary.reference}`);
    await ready.waitFor();
    await ready.getByRole('button', { name: 'Record letter sent', exact: true }).click();
    const sent = cardLabelled(page, 'Record letter sent');
    await sent.waitFor();
    await tick(sent, 'sent_method', 'post');
    await submit(page, sent, 'Record letter sent', 'Record');
    await ready.getByRole('button', { name: 'Record letter sent', exact: true }).waitFor({ state: 'detached' });
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
    await form.getByRole('textbox', { name: /What we will tell them/ }).fill('You threatened a member of our staff and then posted about them online after we wrote to warn you. For a while we will not read or answer social media messages from you.');
    for (const c of ['addressed', 'communication', 'access', 'misunderstandings', 'proportionate']) {
      await tick(form, 'criteria', c);
    }
    const notes = form.getByRole('textbox', { name: /^Note:/ });
    for (let i = 0; i < (await notes.count()); i++) await notes.nth(i).fill('Checked against the case file.');
    // A first review in 14 days: its first reminder (14 days ahead) falls due today.
    await form.getByLabel(/^Review date/).fill(isoDay(14));
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
    // Each block of the letter as it reads on screen: one a paragraph, not one a line.
    summary.checks.letterBlocks = await letter.locator('.ac-container .ac-textBlock').allInnerTexts();
    summary.checks.letterPdf = await download(page, letter, 'Download the letter (PDF)', 'strategy-letter.pdf');
    summary.checks.letterLargePdf = await download(page, letter, 'Large print (PDF)', 'strategy-letter-large-print.pdf');
    await letter.scrollIntoViewIfNeeded();
    focus = letter;
  });

  await step(page, '11-letter-sent', async () => {
    // Until the letter is recorded as sent the strategy is approved, not in force (s6, s7).
    const ready = cardLabelled(page, `Letter for ${summary.reference}`);
    await ready.waitFor();
    summary.checks.beforeSending = await ready.innerText();
    await check(page, 'letter-ready-card', ready);
    await ready.getByRole('button', { name: 'Record letter sent', exact: true }).click();
    const form = cardLabelled(page, 'Record letter sent');
    await form.waitFor();
    await check(page, 'letter-sent-form', form);
    await tick(form, 'sent_method', 'post');
    await submit(page, form, 'Record letter sent', 'Record');
    await ready.getByText(/now in force/).waitFor();
    summary.checks.afterSending = await ready.innerText();
    summary.checks.recordStillOffered = await ready.getByRole('button', { name: 'Record letter sent' }).count();
    focus = ready;
  });

  await step(page, '12-case-as-reporter', async () => {
    await as(page, 'Sam Rivers');
    await say(page, `case ${summary.reference}`);
    const card = cardLabelled(page, `Case ${summary.reference}`);
    await card.waitFor();
    await card.getByText(/Contact strategy in force/).waitFor();
    await check(page, 'case-card', card);
    focus = card;
  });

  await step(page, '13-breach-and-reminder-letter', async () => {
    await say(page, `breach ${summary.reference}`);
    const form = cardLabelled(page, 'Record a breach');
    await form.waitFor();
    // s7.2, s9: only contact about what the strategy restricts is a breach.
    await form.locator('input[name="breach_about"][value="breach"]').check();
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

  await step(page, '14-contact-raises-new-matter', async () => {
    await as(page, 'Sam Rivers');
    const card = await caseCard(page);
    await card.getByRole('button', { name: 'Log contact', exact: true }).click();
    const form = cardLabelled(page, 'Log a contact');
    await form.waitFor();
    await check(page, 'contact-form', form);
    await form.getByRole('combobox', { name: /How\?/ }).selectOption('letter');
    await form.locator('textarea').first().fill('Wrote about a new complaint: a missed bin collection. (Journey test.)');
    await tick(form, 'new_information', 'no');
    await tick(form, 'new_complaint', 'yes');
    await tick(form, 'criminal', 'no');
    await tick(form, 'safeguarding', 'no');
    await tick(form, 'information_request', 'no');
    await tick(form, 'read_no_action', 'no');
    await submit(page, form, 'Log a contact', 'Log contact');
    focus = cardSaying(page, 'Contact logged');
    await focus.waitFor();
  });

  await step(page, '15-review-reminder', async () => {
    // The scheduler sends what is due; an operator (or cron) can run it at once.
    summary.checks.runDue = cli('jobs', 'run-due');
    await as(page, 'Alex Moreno');
    const card = cardLabelled(page, `Contact strategy review for ${summary.reference} is due`);
    await card.waitFor();
    await check(page, 'review-reminder', card);
    summary.checks.reviewReminder = await card.innerText();
    focus = card;
  });

  await step(page, '16-review-continues', async () => {
    const card = cardLabelled(page, `Contact strategy review for ${summary.reference} is due`);
    await card.getByRole('button', { name: 'Start review', exact: true }).click();
    const form = cardLabelled(page, 'Review the strategy');
    await form.waitFor();
    await check(page, 'review-form', form);
    await tick(form, 'review_outcome', 'continue');
    await fillEmpty(form, 'One breach since the letter; the restrictions are still needed for now.');
    await form.locator('input[type="date"]').last().fill(isoDay(120));
    await submit(page, form, 'Review the strategy', 'Record review');
    focus = cardSaying(page, 'Review recorded');
    await focus.waitFor();
  });

  await step(page, '17-dispute-recorded', async () => {
    await as(page, 'Sam Rivers');
    const card = await caseCard(page);
    await card.getByRole('button', { name: 'Record dispute', exact: true }).click();
    const form = cardLabelled(page, 'Record a dispute');
    await form.waitFor();
    const received = form.locator('input[type="date"]').first();
    if (!(await received.inputValue())) await received.fill(isoDay(0));
    await form.locator('textarea').first().fill('I only called because nobody answered my emails.');
    await submit(page, form, 'Record a dispute', 'Send to decide');
    focus = cardSaying(page, 'Dispute recorded');
    await focus.waitFor();
    summary.checks.disputeSentTo = await focus.innerText();
  });

  await step(page, '18-dispute-outcome-letter', async () => {
    await as(page, 'Casey Lin');
    const card = cardSaying(page, 'Record the outcome');
    await card.waitFor();
    await check(page, 'dispute-card', card);
    await card.getByRole('button', { name: 'Record the outcome', exact: true }).click();
    const form = cardLabelled(page, 'Decide the dispute');
    await form.waitFor();
    await tick(form, 'dispute_outcome', 'upheld');
    await fillEmpty(form, 'The limits are fair and leave you every other way to reach us.');
    await submit(page, form, 'Decide the dispute', 'Record outcome');
    await cardSaying(page, 'Outcome recorded').waitFor();
    // The outcome letter goes to whoever recorded the dispute, to send (s7.3).
    await as(page, 'Sam Rivers');
    const letter = cardSaying(page, 'still apply');
    await letter.waitFor();
    await check(page, 'dispute-outcome-letter', letter);
    focus = letter;
  });

  // s7.1: the strategy ends at a later review; the letter tells them why, in the words
  // written for them. (A strategy in force holds the retention purge back, s9.)
  await step(page, '19-strategy-ended', async () => {
    await as(page, 'Jo Fielding');
    const card = await caseCard(page);
    await card.getByRole('button', { name: 'Start review', exact: true }).click();
    const form = cardLabelled(page, 'Review the strategy');
    await form.waitFor();
    await tick(form, 'review_outcome', 'end');
    await fillEmpty(form, 'There have been no further problems, so the limits on social media messages have ended.');
    await submit(page, form, 'Review the strategy', 'Record review');
    await cardSaying(page, 'has ended').waitFor();
    const letter = cardSaying(page, 'we have decided to end them');
    await letter.waitFor();
    await check(page, 'strategy-ended-letter', letter);
    summary.checks.endedLetter = await letter.innerText();
    focus = letter;
  });

  // s9: what the person may ask for, everything held about them, as the office sends it.
  const sarFolder = join(workdir, 'subject-access');
  const sar = await context.newPage();
  await step(sar, '20-subject-access-export', async () => {
    summary.checks.sarCommand = cli('export-person', summary.reference, '--out', sarFolder);
    await sar.goto(`file://${join(sarFolder, 'index.html')}`);
    await sar.getByText(summary.reference).first().waitFor();
    summary.checks.sar = await sar.locator('body').innerText();
  });
  await sar.close();

  // s9: six years after the case's last activity it is anonymised; run as if that day had
  // come, then /case no longer names them.
  await step(page, '21-retention-purge', async () => {
    // An operator backs up before a purge (and the test reads the case from the copy).
    summary.checks.backup = cli('backup', '--out', join(workdir, 'before-purge.db'));
    const later = new Date(Date.now() + (6 * 366 + 30) * 86_400_000).toISOString();
    summary.checks.purge = cli('retention', 'purge', '--at', later);
    await as(page, 'Sam Rivers');
    const card = await caseCard(page);
    summary.checks.caseAfterPurge = await card.innerText();
    focus = card;
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
// The whole summary goes to a file (it holds every card sent, too much for a pipe to take
// before exit); standard output gets the verdict.
writeFileSync(join(out, 'summary.json'), JSON.stringify(summary, null, 2));
console.log(JSON.stringify({ ok: summary.ok, error: summary.error, steps: summary.steps.length }));
process.exit(failed ? 1 : 0);
