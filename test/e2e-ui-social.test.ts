/**
 * End to end in a real headless Chromium: a signed-in user likes a repo from
 * its header, creates a collection, adds the repo to it with a note from the
 * repo page, adds and reorders another repo on the collection page, and sees
 * the notes rendered in order. Every write goes through the pages' scripts;
 * the results are checked through the API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { setPassword } from '../src/auth/accounts.js';
import { findUserByName } from '../src/auth/users.js';
import { launchBrowser, openPage, screenshot } from './helpers/browser.js';
import { api, commitVia, createRepoVia, fileOp, json, startTestHub, type TestHub } from './helpers/hub.js';

const PASSWORD = 'correct horse battery staple';

describe('web UI: likes and collections, in a real browser', () => {
  let hub: TestHub;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let slug = '';
  const url = (p: string): string => `${hub.url}${p}`;

  before(async () => {
    hub = await startTestHub();
    const db = hub.running.hub.db;
    await setPassword(db, (await findUserByName(db, 'alice'))!.id, PASSWORD);
    for (const name of ['tiny-model', 'other-model']) {
      assert.equal((await createRepoVia(hub, hub.tokens.alice, name)).status, 200);
      assert.equal((await commitVia(hub, hub.tokens.alice, `alice/${name}`, [fileOp('README.md', `# ${name}\n`)])).status, 200);
    }
    browser = await launchBrowser();
    ({ page, problems } = await openPage(browser));
  });

  after(async () => {
    await browser?.close();
    await hub?.close();
  });

  test('sign in and like a repo from its header', async () => {
    await page.goto(url('/login?next=/alice/tiny-model'));
    await page.fill('#login-username', 'alice');
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-form button[type=submit]');
    await page.waitForURL(url('/alice/tiny-model'));
    const like = page.locator('button[data-like]');
    await page.locator('button[data-like]:not([disabled])').waitFor();
    assert.equal(await like.getAttribute('aria-pressed'), 'false');
    await like.click();
    await page.locator('button[data-like][aria-pressed=true]:not([disabled])').waitFor();
    assert.equal(await like.locator('[data-like-count]').innerText(), '1');
    const info = await json(await api(url('/api/models/alice/tiny-model')));
    assert.equal(info.likes, 1);
    const likes = await json(await api(url('/api/users/alice/likes')));
    assert.deepEqual(likes.map((l: { repo: unknown }) => l.repo), [{ name: 'alice/tiny-model', type: 'model' }]);
    // The state survives a reload; the downloads chart is drawn.
    await page.reload();
    await page.locator('button[data-like][aria-pressed=true]:not([disabled])').waitFor();
    await page.locator('[data-downloads-spark] svg[role=img]').waitFor();
    await screenshot(page, 'social-liked');
  });

  test('create a collection from the namespace page', async () => {
    await page.goto(url('/collections/alice'));
    await page.click('details.new-collection summary');
    await page.locator('#new-collection-form fieldset:not([disabled])').waitFor();
    await page.fill('#nc-title', 'Tiny things');
    await page.fill('#nc-description', 'Small models worth a look');
    await page.click('#new-collection-form button[type=submit]');
    await page.waitForURL(/\/collections\/alice\/tiny-things-[0-9a-f]{24}$/);
    slug = new URL(page.url()).pathname.slice('/collections/'.length);
    assert.equal(await page.locator('h1').innerText(), 'Tiny things');
    const c = await json(await api(url(`/api/collections/${slug}`)));
    assert.deepEqual([c.title, c.description, c.private, c.items.length], ['Tiny things', 'Small models worth a look', false, 0]);
  });

  test('add the repo with a note from the repo page', async () => {
    await page.goto(url('/alice/tiny-model'));
    await page.click('details.add-to-collection summary');
    await page.locator(`#atc-collection option[value="${slug}"]`).waitFor({ state: 'attached' });
    await page.locator('#add-to-collection-form fieldset:not([disabled])').waitFor();
    await page.selectOption('#atc-collection', slug);
    await page.fill('#atc-note', 'Start with **this** one');
    await page.click('#add-to-collection-form button[type=submit]');
    await page.locator('#add-to-collection-form [data-status].ok').waitFor();
    assert.match(await page.locator('#add-to-collection-form [data-status]').innerText(), /Added to/);
    const c = await json(await api(url(`/api/collections/${slug}`)));
    assert.deepEqual(c.items.map((i: any) => [i.id, i.note?.text]), [['alice/tiny-model', 'Start with **this** one']]);
  });

  test('on the collection: add another repo, move it first, see the notes in order', async () => {
    await page.goto(url(`/collections/${slug}`));
    await page.locator('#add-item-form fieldset:not([disabled])').waitFor();
    await page.fill('#ai-id', 'alice/other-model');
    await page.fill('#ai-note', 'The other one');
    await page.click('#add-item-form button[type=submit]');
    await page.locator('li[data-item]:has-text("alice/other-model")').waitFor();
    await page.click('li[data-item]:has-text("alice/other-model") button[data-move="-1"]');
    await page.locator('ol.collection-items > li:first-child:has-text("alice/other-model")').waitFor();
    const names = await page.locator('ol.collection-items > li a.name').allInnerTexts();
    assert.deepEqual(names, ['alice/other-model', 'alice/tiny-model']);
    // The note is Markdown, rendered and sanitised.
    assert.equal(await page.locator('li[data-item]:has-text("alice/tiny-model") .note strong').innerText(), 'this');
    const c = await json(await api(url(`/api/collections/${slug}`)));
    assert.deepEqual(c.items.map((i: any) => [i.id, i.position]), [['alice/other-model', 0], ['alice/tiny-model', 1]]);
    await screenshot(page, 'social-collection');
    // The namespace page lists it.
    await page.goto(url('/collections/alice'));
    await page.locator(`a[href="/collections/${slug}"]`).waitFor();
    assert.deepEqual(problems, []);
  });
});
