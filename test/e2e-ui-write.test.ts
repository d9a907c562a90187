/**
 * End to end in a real headless Chromium: the writing side of the web UI.
 * A user signs in through the login page (a wrong password first), creates a
 * repo, uploads a >10 MiB file through LFS with the progress bar reaching
 * 100%, finds it in the tree and downloads the same bytes; cancels an upload
 * midway and nothing is committed; edits the card (invalid metadata first,
 * then a concurrent change); deletes a file; creates a branch; gates the repo
 * and handles another user's access request; changes visibility; creates and
 * revokes tokens and uses one against the API; manages an org's members;
 * signs up and out; and deletes the repo. Pages that need an account send
 * anonymous visitors to /login.
 *
 * Every write goes through the pages' own scripts; the test checks the
 * result through the API, the way a client would see it.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { setPassword } from '../src/auth/accounts.js';
import { setSignupMode } from '../src/auth/signup.js';
import { findUserByName } from '../src/auth/users.js';
import { Sha256 } from '../src/ui/client/lfs-hash.js';
import { launchBrowser, openPage, screenshot } from './helpers/browser.js';
import { api, commitVia, fileOp, headOf, json, startTestHub, type TestHub } from './helpers/hub.js';

const PASSWORD = 'correct horse battery staple';
const BOB_PASSWORD = 'bob has a long password';
const REPO = 'alice/web-model';
const BIG = 12 * 1024 * 1024 + 123;

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('web UI: writing, in a real browser', () => {
  let hub: TestHub;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let tmp: string;
  let bigBytes: Buffer;
  const url = (p: string): string => `${hub.url}${p}`;

  before(async () => {
    hub = await startTestHub();
    const db = hub.running.hub.db;
    await setPassword(db, (await findUserByName(db, 'alice'))!.id, PASSWORD);
    await setPassword(db, (await findUserByName(db, 'bob'))!.id, BOB_PASSWORD);
    browser = await launchBrowser();
    ({ page, problems } = await openPage(browser));
    tmp = await mkdtemp(path.join(os.tmpdir(), 'orchard-ui-write-'));
  });

  after(async () => {
    await browser?.close();
    await hub?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  /** Fills and submits a login form (`page` is on /login). */
  async function signIn(p: Page, user: string, password: string): Promise<void> {
    await p.fill('#login-username', user);
    await p.fill('#login-password', password);
    await p.click('#login-form button[type=submit]');
  }

  const tree = async (rev = 'main'): Promise<{ path: string; lfs?: { oid: string; size: number } }[]> =>
    json(await api(url(`/api/models/${REPO}/tree/${rev}?recursive=true`), hub.tokens.alice));

  test('a page that needs an account sends anonymous visitors to /login', async () => {
    await page.goto(url('/settings/tokens'));
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal(new URL(page.url()).searchParams.get('next'), '/settings/tokens');
    const upload = await fetch(url(`/${REPO}/upload/main`), { redirect: 'manual' });
    assert.equal(upload.status, 302);
    assert.equal(upload.headers.get('location'), `/login?next=${encodeURIComponent(`/${REPO}/upload/main`)}`);
  });

  test('a wrong password shows a clear error and stays on the page', async () => {
    await signIn(page, 'alice', 'not the password');
    const status = page.locator('#login-form [data-status].error');
    await status.waitFor();
    assert.match(await status.innerText(), /wrong username or password/i);
    assert.equal(new URL(page.url()).pathname, '/login');
    await screenshot(page, 'write-login-error');
  });

  test('signing in goes back to the page that asked for it', async () => {
    await signIn(page, 'alice', PASSWORD);
    await page.waitForURL(url('/settings/tokens'));
    await page.locator('[data-signout]').waitFor({ state: 'visible' });
  });

  test('create a token, use it against the API, and revoke another', async () => {
    await page.fill('#token-name', 'laptop');
    await page.selectOption('#token-role', 'write');
    await page.click('#token-form button[type=submit]');
    await page.locator('#new-token').waitFor({ state: 'visible' });
    const token = (await page.locator('#new-token-value').innerText()).trim();
    assert.match(token, /^hf_/);
    const who = await json(await api(url('/api/whoami-v2'), token));
    assert.equal(who.name, 'alice');
    await screenshot(page, 'write-tokens');

    await page.fill('#token-name', 'temporary');
    await page.click('#token-form button[type=submit]');
    await page.locator('#token-table tr', { hasText: 'temporary' }).waitFor();
    const temporary = (await page.locator('#new-token-value').innerText()).trim();
    assert.equal((await api(url('/api/whoami-v2'), temporary)).status, 200);
    await page.click('#token-table tr:has-text("temporary") button[data-revoke]');
    await page.locator('#token-table tr', { hasText: 'temporary' }).waitFor({ state: 'detached' });
    assert.equal((await api(url('/api/whoami-v2'), temporary)).status, 401);
    // The list survives a reload, values never shown again.
    await page.reload();
    assert.equal(await page.locator('#token-table tr', { hasText: 'laptop' }).count(), 1);
    assert.equal(await page.locator(`text=${token}`).count(), 0);
  });

  test('create a repo', async () => {
    await page.goto(url('/new'));
    await page.check('input[name=type][value=model]');
    await page.selectOption('#new-owner', 'alice');
    await page.fill('#new-name', 'web-model');
    await screenshot(page, 'write-new-repo');
    await page.click('#new-repo-form button[type=submit]');
    await page.waitForURL(url(`/${REPO}`));
    const info = await json(await api(url(`/api/models/${REPO}`)));
    assert.equal(info.id, REPO);
    assert.equal(info.private, false);
  });

  test('upload a >10 MiB file through LFS with the progress bar reaching 100%', async () => {
    bigBytes = randomBytes(BIG);
    const big = path.join(tmp, 'weights.bin');
    const small = path.join(tmp, 'notes.txt');
    await writeFile(big, bigBytes);
    await writeFile(small, 'hello from the browser\n');
    await page.goto(url(`/${REPO}`));
    await page.click('.repo-head a:has-text("Upload")');
    await page.waitForURL(url(`/${REPO}/upload/main`));
    await page.setInputFiles('#upload-files', [big, small]);
    await page.locator('[data-file-list] td', { hasText: 'weights.bin' }).waitFor();
    await page.fill('#upload-summary', 'Add weights from the browser');
    await page.click('[data-upload]');
    await page.locator('[data-done]').waitFor({ state: 'visible' });
    const bar = await page.$eval('#upload-progress', (p) => ({ value: (p as HTMLProgressElement).value, max: (p as HTMLProgressElement).max }));
    assert.equal(bar.max, BIG + 23);
    assert.equal(bar.value, bar.max);
    assert.match(await page.locator('[data-progress-text]').innerText(), /\(100%\)/);
    await screenshot(page, 'write-upload-done');

    const files = await tree();
    const weights = files.find((f) => f.path === 'weights.bin');
    assert.equal(weights?.lfs?.oid, sha256(bigBytes), 'stored through LFS under its sha256');
    assert.equal(weights?.lfs?.size, BIG);
    const notes = files.find((f) => f.path === 'notes.txt');
    assert.ok(notes && !notes.lfs, 'the small text file is a regular file');
    const commits = await json(await api(url(`/api/models/${REPO}/commits/main`)));
    assert.equal(commits[0].title, 'Add weights from the browser');
  });

  test('the file is in the tree with its LFS marker, and downloads byte for byte', async () => {
    await page.click('[data-done] a:has-text("See the files")');
    await page.waitForURL(url(`/${REPO}/tree/main`));
    const row = page.locator('table.files tr', { hasText: 'weights.bin' });
    assert.equal(await row.locator('.lfs').count(), 1);
    assert.equal(await page.locator('table.files tr', { hasText: 'notes.txt' }).locator('.lfs').count(), 0);
    const [download] = await Promise.all([page.waitForEvent('download'), row.locator('a[aria-label="Download weights.bin"]').click()]);
    const saved = await readFile((await download.path())!);
    assert.equal(saved.length, BIG);
    assert.ok(saved.equals(bigBytes), 'downloaded bytes equal the uploaded ones');
  });

  test('upload a folder (picker) and a dropped file into a subfolder', async () => {
    const folder = path.join(tmp, 'configs');
    await mkdir(path.join(folder, 'nested'), { recursive: true });
    await writeFile(path.join(folder, 'a.json'), '{"a": 1}\n');
    await writeFile(path.join(folder, 'nested', 'b.txt'), 'b\n');
    await page.goto(url(`/${REPO}/upload/main`));
    await page.setInputFiles('#upload-folder', folder);
    await page.locator('[data-file-list] td', { hasText: 'configs/nested/b.txt' }).waitFor();
    // A drop as the browser delivers it: a DataTransfer on the drop zone.
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['dropped\n'], 'dropped.txt', { type: 'text/plain' }));
      document.querySelector('[data-dropzone]')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await page.locator('[data-file-list] td', { hasText: 'dropped.txt' }).waitFor();
    await page.fill('#upload-dir', 'extra/');
    await page.click('[data-upload]');
    await page.locator('[data-done]').waitFor({ state: 'visible' });
    const paths = (await tree()).map((f) => f.path);
    for (const p of ['extra/configs/a.json', 'extra/configs/nested/b.txt', 'extra/dropped.txt']) assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
    const commits = await json(await api(url(`/api/models/${REPO}/commits/main`)));
    assert.equal(commits[0].title, 'Upload 3 files');
  });

  test('cancelling an upload midway commits nothing and leaves nothing behind', async () => {
    const before = await headOf(hub, hub.tokens.alice, REPO);
    const bytes = randomBytes(24 * 1024 * 1024);
    const file = path.join(tmp, 'cancelled.bin');
    await writeFile(file, bytes);
    await page.goto(url(`/${REPO}/upload/main`));
    // Slow the browser's uploads down so that "midway" lasts long enough to click.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 4 * 1024 * 1024 });
    try {
      await page.setInputFiles('#upload-files', file);
      await page.click('[data-upload]');
      await page.waitForFunction(() => {
        const p = document.querySelector<HTMLProgressElement>('#upload-progress');
        return p !== null && p.value > 0 && p.value < p.max;
      });
      await page.click('[data-cancel]');
      const status = page.locator('#upload-form [data-status].error');
      await status.waitFor();
      assert.match(await status.innerText(), /cancelled: nothing was committed/i);
    } finally {
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await cdp.detach();
    }
    await screenshot(page, 'write-upload-cancelled');
    assert.equal(await page.locator('[data-upload]').isEnabled(), true, 'the form can be used again');
    assert.equal(await headOf(hub, hub.tokens.alice, REPO), before, 'no commit');
    assert.ok(!(await tree()).some((f) => f.path === 'cancelled.bin'), 'not in the tree');
    // The half-sent object was never stored: the server drops a short upload.
    const oid = sha256(bytes);
    for (let i = 0; i < 50 && (await hub.running.hub.blobs.stat(oid)); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await hub.running.hub.blobs.stat(oid), undefined);
    const uploads = await hub.running.hub.db.selectFrom('lfs_uploads').select('oid').where('oid', '=', oid).execute();
    assert.equal(uploads.length, 0);
    // Nor is its temp file left in the blob store.
    const temp = path.join(hub.dataDir, 'lfs', 'tmp', String(process.pid));
    const temps = (): Promise<string[]> => readdir(temp).catch(() => []);
    for (let i = 0; i < 50 && (await temps()).length; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await temps(), []);
    // In an S3 pass, nor a multipart upload left open in the bucket.
    if (hub.s3) assert.deepEqual(await hub.s3.pendingUploads(), []);
  });

  test('edit the card: invalid metadata is refused, a valid card is committed and rendered', async () => {
    await page.goto(url(`/${REPO}`));
    await page.click('.card-actions a');
    await page.waitForURL(url(`/${REPO}/edit/main/README.md`));
    await page.fill('#edit-content', '---\nlicense: [unclosed\n---\n# Broken\n');
    await page.click('#edit-form button[type=submit]');
    await page.locator('#edit-form [data-status].error').waitFor();
    assert.match(await page.locator('#edit-form [data-status]').innerText(), /metadata/i);
    assert.equal(await page.locator('[data-errors] li').count() > 0, true, 'the validation errors are listed');
    await screenshot(page, 'write-edit-invalid');

    const card = [
      '---',
      'license: mit',
      'extra_gated_fields:',
      '  Company: text',
      '  I agree to use this model for research only: checkbox',
      '---',
      '# Web model',
      '',
      'Written **in the browser**.',
      '',
    ].join('\n');
    await page.fill('#edit-content', card);
    await page.fill('#edit-summary', 'Write the card in the browser');
    await page.click('#edit-form button[type=submit]');
    await page.waitForURL(url(`/${REPO}`));
    assert.equal(await page.locator('.card-body strong', { hasText: 'in the browser' }).count(), 1);
    assert.equal(await page.locator('aside.meta a', { hasText: 'mit' }).count(), 1);
    const raw = await (await fetch(url(`/${REPO}/raw/main/README.md`))).text();
    assert.equal(raw, card);
  });

  test('saving over a change made meanwhile says someone changed the file', async () => {
    await page.goto(url(`/${REPO}/edit/main/notes.txt`));
    assert.equal(await page.inputValue('#edit-content'), 'hello from the browser\n');
    const r = await commitVia(hub, hub.tokens.alice, REPO, [fileOp('notes.txt', 'changed elsewhere\n')]);
    assert.equal(r.status, 200);
    await page.fill('#edit-content', 'my version\n');
    await page.click('#edit-form button[type=submit]');
    await page.locator('#edit-form [data-status].error').waitFor();
    assert.match(await page.locator('#edit-form [data-status]').innerText(), /someone changed this file/i);
    const raw = await (await fetch(url(`/${REPO}/raw/main/notes.txt`))).text();
    assert.equal(raw, 'changed elsewhere\n', 'the other change was kept');
  });

  test('delete a file from its page, after confirming', async () => {
    await page.goto(url(`/${REPO}/blob/main/notes.txt`));
    await page.click('[data-delete-open]');
    await page.locator('#delete-file-form').waitFor({ state: 'visible' });
    await screenshot(page, 'write-delete-confirm');
    await page.click('#delete-file-form button[type=submit]');
    await page.waitForURL(url(`/${REPO}/tree/main`));
    assert.equal(await page.locator('table.files tr', { hasText: 'notes.txt' }).count(), 0);
    assert.ok(!(await tree()).some((f) => f.path === 'notes.txt'));
  });

  test('create a branch from the files page', async () => {
    await page.click('details.inline-form summary');
    await page.fill('#branch-name', 'dev');
    assert.equal(await page.inputValue('#branch-from'), 'main');
    await page.click('#branch-form button[type=submit]');
    await page.waitForURL(url(`/${REPO}/tree/dev`));
    const refs = await json(await api(url(`/api/models/${REPO}/refs`)));
    const dev = refs.branches.find((b: { name: string }) => b.name === 'dev');
    assert.equal(dev?.targetCommit, await headOf(hub, hub.tokens.alice, REPO));
  });

  test('gate the repo; another user asks for access and the owner accepts', async () => {
    await page.goto(url(`/${REPO}/settings`));
    await page.selectOption('#gating-mode', 'manual');
    await page.click('#gating-form button[type=submit]');
    await page.waitForLoadState('load');
    await page.locator('#access-requests').waitFor();
    assert.equal((await json(await api(url(`/api/models/${REPO}`)))).gated, 'manual');

    const other = await openPage(browser, { viewport: { width: 390, height: 844 } });
    const bob = other.page;
    await bob.goto(url(`/${REPO}/access`));
    await bob.click('a:has-text("Sign in")');
    // By keyboard: the user name field has the focus, Tab goes to the password, Enter submits.
    await bob.locator('#login-username').waitFor();
    // autofocus is applied after the first rendering, which can come after the element is visible:
    // wait for the focus itself, or a busy machine types the name into the page body.
    await bob.waitForFunction(() => document.activeElement?.id === 'login-username');
    await bob.keyboard.type('bob');
    await bob.keyboard.press('Tab');
    await bob.keyboard.type(BOB_PASSWORD);
    await bob.keyboard.press('Enter');
    await bob.waitForURL(url(`/${REPO}/access`));
    await bob.getByLabel('Company').fill('Acme');
    await bob.getByLabel('I agree to use this model for research only').check();
    await screenshot(bob, 'write-access-form-phone');
    await bob.click('#access-form button[type=submit]');
    await bob.locator('[data-access-status=pending]').waitFor();

    await page.reload();
    const pending = page.locator('[data-requests=pending] li', { hasText: 'bob' });
    await pending.waitFor();
    assert.match(await pending.innerText(), /Acme/);
    await screenshot(page, 'write-repo-settings');
    await pending.locator('button[data-decide=accepted]').click();
    await page.locator('[data-requests=accepted] li', { hasText: 'bob' }).waitFor();

    await bob.reload();
    await bob.locator('[data-access-status=accepted]').waitFor();
    const weights = await bob.evaluate(async (u) => (await fetch(u, { method: 'HEAD' })).status, url(`/${REPO}/resolve/main/weights.bin`));
    assert.equal(weights, 200, 'bob can now download');
    assert.deepEqual(other.problems, []);
    await bob.context().close();
  });

  test('change visibility to private and back', async () => {
    await page.goto(url(`/${REPO}/settings`));
    await page.check('input[name=visibility][value=private]');
    await page.click('#visibility-form button[type=submit]');
    await page.locator('.repo-head .pill.private').waitFor();
    assert.equal((await api(url(`/api/models/${REPO}`))).status, 401, 'anonymous callers no longer see it');
    await page.check('input[name=visibility][value=public]');
    await page.click('#visibility-form button[type=submit]');
    await page.locator('.repo-head .pill.private').waitFor({ state: 'detached' });
    assert.equal((await api(url(`/api/models/${REPO}`))).status, 200);
  });

  test('create an organization and manage its members', async () => {
    await page.goto(url('/settings/organizations'));
    await page.click('a:has-text("New organization")');
    await page.fill('#org-name', 'web-org');
    await page.click('#new-org-form button[type=submit]');
    await page.waitForURL(url('/web-org'));
    await page.fill('#member-name', 'bob');
    await page.selectOption('#member-role', 'write');
    await page.click('#add-member-form button[type=submit]');
    const bobRow = page.locator('tr[data-member=bob]');
    await bobRow.waitFor();
    assert.equal(await bobRow.locator('select').inputValue(), 'write');
    await bobRow.locator('select').selectOption('read');
    await page.locator('#members-status.ok').waitFor();
    const members = await json(await api(url('/api/organizations/web-org/members'), hub.tokens.alice));
    assert.deepEqual(members.map((m: { user: string; role: string }) => [m.user, m.role]), [['alice', 'admin'], ['bob', 'read']]);
    await screenshot(page, 'write-org-members');
    await bobRow.locator('button[data-remove]').click();
    await bobRow.waitFor({ state: 'detached' });
    assert.equal((await json(await api(url('/api/organizations/web-org/members'), hub.tokens.alice))).length, 1);
    // The org is now an owner to create repos in.
    await page.goto(url('/new'));
    assert.deepEqual(await page.locator('#new-owner option').allInnerTexts(), ['alice', 'web-org']);
  });

  test('change the password', async () => {
    await page.goto(url('/settings/password'));
    await page.fill('#password-old', PASSWORD);
    await page.fill('#password-new', `${PASSWORD}!`);
    await page.fill('#password-again', `${PASSWORD}!`);
    await page.click('#password-form button[type=submit]');
    await page.locator('#password-form [data-status].ok').waitFor();
    const login = await fetch(url('/api/login'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: `${PASSWORD}!` }) });
    assert.equal(login.status, 200);
  });

  test('delete the repo after typing its name', async () => {
    await page.goto(url(`/${REPO}/settings`));
    const button = page.locator('#delete-repo-form button[type=submit]');
    assert.equal(await button.isDisabled(), true, 'disabled until the name is typed');
    await page.fill('#delete-confirm', REPO);
    await page.click('#delete-repo-form button[type=submit]');
    await page.waitForURL(url('/alice'));
    assert.equal((await api(url(`/api/models/${REPO}`), hub.tokens.alice)).status, 404);
  });

  test('sign up when the hub allows it, then sign out', async () => {
    await setSignupMode(hub.running.hub.db, 'open');
    const fresh = await openPage(browser);
    const p = fresh.page;
    await p.goto(url('/join'));
    await p.fill('#join-username', 'carol');
    await p.fill('#join-password', 'carol password 1');
    await p.click('#join-form button[type=submit]');
    await p.waitForURL(url('/'));
    await p.locator('header.top a[href="/carol"]').waitFor();
    // Signing out works from any page, even an error page (which has no CSRF token in it).
    assert.equal((await p.goto(url('/alice/no-such-repo')))?.status(), 404);
    await p.click('[data-signout]');
    await p.locator('header.top a[data-signin]').waitFor();
    assert.equal((await p.evaluate(async () => (await fetch('/api/session')).status)), 401);
    assert.deepEqual(fresh.problems, []);
    await p.context().close();
  });

  test('the write pages fit a phone screen', async () => {
    const phone = await openPage(browser, { viewport: { width: 390, height: 844 } });
    const p = phone.page;
    await p.goto(url('/login'));
    await signIn(p, 'alice', `${PASSWORD}!`);
    await p.waitForURL(url('/'));
    await api(url('/api/repos/create'), hub.tokens.alice, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'phone-check' }) });
    for (const [name, pathname] of [['upload', '/alice/phone-check/upload/main'], ['settings', '/alice/phone-check/settings'], ['tokens', '/settings/tokens'], ['new', '/new']] as const) {
      await p.goto(url(pathname));
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${name} does not scroll sideways (${overflow}px)`);
      await screenshot(p, `write-phone-${name}`);
    }
    assert.deepEqual(phone.problems, []);
    await p.context().close();
  });

  test('no script errors on any page', () => {
    assert.deepEqual(problems, []);
  });
});

test('the browser-side SHA-256 matches node:crypto, however the bytes are split', () => {
  for (const size of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 100_000]) {
    const data = randomBytes(size);
    const hasher = new Sha256();
    for (let at = 0; at < size; ) {
      const n = Math.min(size - at, 1 + ((at * 7919) % 97));
      hasher.update(data.subarray(at, at + n));
      at += n;
    }
    assert.equal(hasher.hex(), sha256(data), `size ${size}`);
  }
});
