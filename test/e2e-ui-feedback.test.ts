/**
 * End to end in a real headless Chromium: the Feedback tab. bob signs in and
 * sends feedback (with a correction and consent) from the form and sees it
 * as "new" among his own; alice, the owner, sees it in her triage queue with
 * the redacted preview, accepts and labels it, and exports it to a dataset;
 * the exported row is then read back through the API. Every write goes
 * through the page's script and the JSON API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { setPassword } from '../src/auth/accounts.js';
import { findUserByName } from '../src/auth/users.js';
import { launchBrowser, openPage, screenshot } from './helpers/browser.js';
import { api, createRepoVia, json, startTestHub, type TestHub } from './helpers/hub.js';

const PASSWORD = 'correct horse battery staple';
const MODEL = 'alice/ui-chat';

describe('web UI: feedback form, triage and export, in a real browser', () => {
  let hub: TestHub;
  let browser: Browser;
  let bobPage: Page;
  let alicePage: Page;
  let bobProblems: string[] = [];
  let aliceProblems: string[] = [];
  const url = (p: string): string => `${hub.url}${p}`;

  async function signIn(page: Page, user: string): Promise<void> {
    await page.goto(url(`/login?next=${encodeURIComponent(`/${MODEL}/feedback`)}`));
    await page.fill('#login-username', user);
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-form button[type=submit]');
    await page.waitForURL(url(`/${MODEL}/feedback`));
  }

  before(async () => {
    hub = await startTestHub();
    const db = hub.running.hub.db;
    await setPassword(db, (await findUserByName(db, 'alice'))!.id, PASSWORD);
    await setPassword(db, (await findUserByName(db, 'bob'))!.id, PASSWORD);
    assert.equal((await createRepoVia(hub, hub.tokens.alice, 'ui-chat')).status, 200);
    browser = await launchBrowser();
    // Two browser contexts: two people signed in at once.
    ({ page: bobPage, problems: bobProblems } = await openPage(browser));
    ({ page: alicePage, problems: aliceProblems } = await openPage(browser));
  });

  after(async () => {
    await browser?.close();
    await hub?.close();
  });

  test('anonymous visitors are asked to sign in; the tab is linked from the model', async () => {
    await bobPage.goto(url(`/${MODEL}`));
    await bobPage.click('nav.tabs a:has-text("Feedback")');
    await bobPage.waitForURL(url(`/${MODEL}/feedback`));
    assert.equal(await bobPage.locator('.notice a:has-text("Sign in")').count(), 1);
    assert.equal(await bobPage.locator('#feedback-form').count(), 0);
  });

  test('a signed-in reader sends feedback from the form and sees it as new', async () => {
    await signIn(bobPage, 'bob');
    assert.equal(await bobPage.locator('#export-form').count(), 0, 'only writers export');
    // The form is enabled once its script has run.
    await bobPage.locator('#feedback-form fieldset:not([disabled])').first().waitFor();
    await bobPage.fill('#fb-prompt', 'How do I contact you?');
    await bobPage.fill('#fb-response', 'Mail me at owner@example.org');
    await bobPage.selectOption('#fb-rating', 'down');
    await bobPage.check('#feedback-form input[name=categories][value=harmful]');
    await bobPage.fill('#fb-correction', 'Please use the support page.');
    await bobPage.check('#fb-consent');
    assert.match(await bobPage.locator('#fb-consent-help').innerText(), /may be published in a dataset/);
    await bobPage.click('#feedback-form button[type=submit]');
    await bobPage.locator('#feedback-list .feedback-item[data-status=new]').waitFor();
    assert.match(await bobPage.locator('#feedback-list-title').innerText(), /Your feedback \(1\)/);
    assert.equal(await bobPage.locator('#feedback-list [data-triage]').count(), 0, 'submitters cannot triage');
    await screenshot(bobPage, 'feedback-submitted');
    const stored = await json(await api(url(`/api/models/${MODEL}/feedback`), hub.tokens.alice));
    assert.equal(stored.total, 1);
    assert.deepEqual(
      { rating: stored.items[0].rating, categories: stored.items[0].categories, correction: stored.items[0].correction, consent: stored.items[0].consent.publish, author: stored.items[0].author.name },
      { rating: 'down', categories: ['harmful'], correction: 'Please use the support page.', consent: true, author: 'bob' },
    );
  });

  test('the owner triages it with the redacted preview, then exports it', async () => {
    await signIn(alicePage, 'alice');
    const item = alicePage.locator('#feedback-list .feedback-item[data-status=new]');
    await item.waitFor();
    assert.match(await alicePage.locator('#feedback-list-title').innerText(), /Triage queue \(1\)/);
    await item.locator('summary').click();
    assert.equal(await item.locator('[data-redacted-response]').innerText(), 'Mail me at [EMAIL]');
    await item.locator('input[name=labels]').fill('support, contact');
    await item.locator('button[data-triage=accepted]').click();
    await alicePage.locator('#feedback-list .feedback-item[data-status=accepted]').waitFor();
    assert.deepEqual(await alicePage.locator('.feedback-item .feedback-label').allInnerTexts(), ['#support', '#contact']);

    // The status filter is a plain GET form.
    await alicePage.selectOption('#fb-filter-status', 'rejected');
    await alicePage.click('.feedback-filters button[type=submit]');
    await alicePage.waitForURL(/status=rejected/);
    assert.equal(await alicePage.locator('.feedback-item').count(), 0);
    await alicePage.goto(url(`/${MODEL}/feedback`));

    await alicePage.locator('#export-form fieldset:not([disabled])').first().waitFor();
    assert.equal(await alicePage.inputValue('#export-dataset'), `${MODEL}-feedback`);
    await alicePage.click('#export-form button[type=submit]');
    const status = alicePage.locator('#export-status.ok');
    await status.waitFor();
    assert.match(await status.innerText(), /Exported 1 feedback item\(s\) to alice\/ui-chat-feedback: 1 SFT row\(s\), 1 preference pair\(s\)/);
    await screenshot(alicePage, 'feedback-exported');

    const raw = await api(url(`/datasets/${MODEL}-feedback/resolve/main/data/preference/part-000000.jsonl`), hub.tokens.alice);
    assert.equal(raw.status, 200);
    const row = JSON.parse((await raw.text()).trim());
    assert.deepEqual(row.chosen, [{ role: 'assistant', content: 'Please use the support page.' }]);
    assert.deepEqual(row.rejected, [{ role: 'assistant', content: 'Mail me at [EMAIL]' }]);
    assert.deepEqual(bobProblems, []);
    assert.deepEqual(aliceProblems, []);
  });
});
