/**
 * End to end in a real headless Chromium: the Community tab. Bob (no write
 * access) opens a discussion from the "New discussion" form and comments with
 * Markdown that carries a <script> (rendered, sanitised, never run); he opens
 * a pull request through the API; Alice (the owner) finds it under the
 * pull-request filter, sees its files changed, and merges it with the button.
 * Every write goes through the page's own script and the JSON API; results
 * are checked through the API, as a client would see them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { setPassword } from '../src/auth/accounts.js';
import { findUserByName } from '../src/auth/users.js';
import { launchBrowser, openPage, screenshot } from './helpers/browser.js';
import { api, commitVia, createRepoVia, fileOp, headOf, json, startTestHub, type TestHub } from './helpers/hub.js';

const REPO = 'alice/community-model';
const PASSWORDS = { alice: 'alice has a long password', bob: 'bob has a long password' };

describe('web UI: the Community tab, in a real browser', () => {
  let hub: TestHub;
  let browser: Browser;
  let bob: { page: Page; problems: string[] };
  let alice: { page: Page; problems: string[] };
  const url = (p: string): string => `${hub.url}${p}`;

  async function signIn(p: Page, user: 'alice' | 'bob', next: string): Promise<void> {
    await p.goto(url(`/login?next=${encodeURIComponent(next)}`));
    await p.waitForFunction(() => document.activeElement?.id === 'login-username');
    await p.fill('#login-username', user);
    await p.fill('#login-password', PASSWORDS[user]);
    await p.click('#login-form button[type=submit]');
    await p.waitForURL(url(next));
  }

  before(async () => {
    hub = await startTestHub();
    const db = hub.running.hub.db;
    for (const name of ['alice', 'bob'] as const) await setPassword(db, (await findUserByName(db, name))!.id, PASSWORDS[name]);
    assert.equal((await createRepoVia(hub, hub.tokens.alice, 'community-model')).status, 200);
    assert.equal((await commitVia(hub, hub.tokens.alice, REPO, [fileOp('README.md', '# Community model\n'), fileOp('config.json', '{"layers": 2}\n')])).status, 200);
    browser = await launchBrowser();
    bob = await openPage(browser);
    alice = await openPage(browser);
  });

  after(async () => {
    await browser?.close();
    await hub?.close();
  });

  test('an empty Community tab offers a new discussion; anonymous visitors are asked to sign in', async () => {
    const anon = await openPage(browser);
    await anon.page.goto(url(`/${REPO}/discussions`));
    await anon.page.locator('[data-empty]').waitFor();
    assert.equal(await anon.page.locator('[data-new-discussion]').count(), 0);
    const res = await fetch(url(`/${REPO}/discussions/new`), { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), `/login?next=${encodeURIComponent(`/${REPO}/discussions/new`)}`);
    await anon.page.context().close();
    assert.deepEqual(anon.problems, []);
  });

  test('bob opens a discussion from the form', async () => {
    const { page } = bob;
    await signIn(page, 'bob', `/${REPO}/discussions`);
    await page.click('[data-new-discussion]');
    await page.waitForURL(url(`/${REPO}/discussions/new`));
    await page.waitForFunction(() => document.activeElement?.id === 'discussion-title');
    await page.keyboard.type('How many layers?');
    await page.fill('#discussion-description', 'The config says **2**.');
    await screenshot(page, 'community-new');
    await page.click('#new-discussion-form button[type=submit]');
    await page.waitForURL(url(`/${REPO}/discussions/1`));
    assert.equal((await page.locator('[data-discussion-title]').innerText()).trim(), 'How many layers?');
    assert.equal(await page.locator('[data-comment-body] strong').innerText(), '2');
    const d = await json(await api(url(`/api/models/${REPO}/discussions/1`)));
    assert.deepEqual([d.title, d.status, d.author.name, d.isPullRequest], ['How many layers?', 'open', 'bob', false]);
  });

  test('a comment with Markdown and a <script> is rendered, sanitised, and never runs', async () => {
    const { page } = bob;
    await page.fill('#comment-input', 'Also **bold** and `code`.\n\n<script>alert("xss")</script><img src=x onerror="alert(1)">');
    await page.click('#comment-form button[type=submit]');
    await page.locator('[data-comment-body]', { hasText: 'Also bold' }).waitFor();
    const body = page.locator('[data-comment-body]', { hasText: 'Also bold' });
    assert.equal(await body.locator('strong').innerText(), 'bold');
    assert.equal(await body.locator('code').innerText(), 'code');
    assert.equal(await page.locator('[data-thread] script').count(), 0);
    assert.equal(await body.locator('img[onerror]').count(), 0);
    const d = await json(await api(url(`/api/models/${REPO}/discussions/1`)));
    assert.equal(d.events.length, 2);
    assert.match(d.events[1].data.latest.raw, /<script>alert\("xss"\)<\/script>/, 'the source is kept as written');
    assert.doesNotMatch(d.events[1].data.latest.html, /<script|onerror/i, 'the HTML is sanitised');
    // bob is the author: he can close it, but there is nothing to merge here.
    assert.equal(await page.locator('button[data-set-status="closed"]').count(), 1);
    assert.equal(await page.locator('[data-merge]').count(), 0);
    await screenshot(page, 'community-thread');
    assert.deepEqual(bob.problems, []);
  });

  test('bob opens a pull request through the API; he cannot merge it', async () => {
    const r = await api(url(`/api/models/${REPO}/commit/main?create_pr=1`), hub.tokens.bob, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: [{ key: 'header', value: { summary: 'Use 4 layers', description: 'Deeper is better.' } }, fileOp('config.json', '{"layers": 4}\n')].map((l) => JSON.stringify(l)).join('\n'),
    });
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal((await json(r)).pullRequestUrl, `${hub.url}/${REPO}/discussions/2`);
    await bob.page.goto(url(`/${REPO}/discussions/2`));
    await bob.page.locator('[data-files-changed] .diff-file').first().waitFor();
    assert.equal(await bob.page.locator('[data-merge]').count(), 0, 'no merge button for a non-writer');
  });

  test('alice filters pull requests, sees the files changed, and merges from the page', async () => {
    const { page } = alice;
    await signIn(page, 'alice', `/${REPO}/discussions`);
    assert.equal(await page.locator('[data-discussions] li').count(), 2);
    await page.click('[data-filters] a:has-text("Pull requests")');
    await page.waitForURL((u) => u.searchParams.get('type') === 'pull_request');
    const items = page.locator('[data-discussions] li');
    assert.equal(await items.count(), 1);
    assert.equal(await items.first().locator('.kind-pr').count(), 1);
    await items.first().locator('[data-title]').click();
    await page.waitForURL(url(`/${REPO}/discussions/2`));
    const file = page.locator('[data-files-changed] .diff-file', { hasText: 'config.json' });
    await file.waitFor();
    assert.match(await file.locator('tr.add').innerText(), /"layers": 4/);
    await screenshot(page, 'community-pr');
    const prHead = (await json(await api(url(`/api/models/${REPO}/revision/refs%2Fpr%2F2`)))).sha;
    await page.click('#merge-button');
    await page.locator('[data-status-pill]', { hasText: 'Merged' }).waitFor();
    assert.equal(await page.locator('[data-merge]').count(), 0);
    assert.equal(await headOf(hub, hub.tokens.alice, REPO), prHead, 'main fast-forwarded to the PR');
    const d = await json(await api(url(`/api/models/${REPO}/discussions/2`)));
    assert.equal(d.status, 'merged');
    assert.equal(d.changes.mergeCommitId, prHead);
    assert.equal(await page.locator('[data-merge-commit]').innerText(), prHead.slice(0, 7));
    // The merged PR leaves the default "open" list and shows under "Closed".
    await page.goto(url(`/${REPO}/discussions`));
    assert.equal(await page.locator('[data-discussions] li').count(), 1);
    await page.click('[data-filters] a:has-text("Closed")');
    await page.locator('[data-discussions] li[data-num="2"]').waitFor();
    await screenshot(page, 'community-list');
    assert.deepEqual(alice.problems, []);
  });

  test('alice renames and closes bob\'s discussion with the page\'s controls', async () => {
    const { page } = alice;
    await page.goto(url(`/${REPO}/discussions/1`));
    await page.click('[data-edit-title] summary');
    await page.fill('#title-input', 'How many layers should it have?');
    await page.click('#title-form button[type=submit]');
    await page.locator('[data-discussion-title]', { hasText: 'should it have' }).waitFor();
    await page.click('button[data-set-status="closed"]');
    await page.locator('[data-status-pill]', { hasText: 'Closed' }).waitFor();
    const d = await json(await api(url(`/api/models/${REPO}/discussions/1`)));
    assert.equal(d.status, 'closed');
    assert.deepEqual(d.events.slice(-2).map((e: any) => e.type), ['title-change', 'status-change']);
    assert.deepEqual(alice.problems, []);
  });
});
