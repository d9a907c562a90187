/**
 * End to end in a real headless Chromium: vote in the arena. Alice signs in,
 * opens an arena, votes once with the mouse and once with the keyboard, sees
 * which models answered each time, and finds her votes on the leaderboard,
 * with and without style control. An anonymous visitor is asked to sign in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { setPassword } from '../src/auth/accounts.js';
import { findUserByName } from '../src/auth/users.js';
import { launchBrowser, openPage, screenshot } from './helpers/browser.js';
import { api, commitVia, createRepoVia, fileOp, json, startTestHub, type TestHub } from './helpers/hub.js';

const PASSWORD = 'correct horse battery staple';
const MODELS = ['alice/owl', 'alice/lark', 'alice/wren'];

describe('web UI: the arena, in a real browser', () => {
  let hub: TestHub;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const url = (p: string): string => `${hub.url}${p}`;

  before(async () => {
    hub = await startTestHub();
    const db = hub.running.hub.db;
    await setPassword(db, (await findUserByName(db, 'alice'))!.id, PASSWORD);
    assert.equal((await createRepoVia(hub, hub.tokens.alice, 'duel', { type: 'dataset' })).status, 200);
    const lines = [1, 2, 3].map((i) =>
      JSON.stringify({
        id: `q${i}`,
        prompt: `Name a bird (${i}) <b>not bold</b>`,
        // The script tag must arrive as text, never run: the answers are sanitised Markdown.
        outputs: Object.fromEntries(MODELS.map((m, k) => [m, k === 0 ? `## ${m.split('/')[1]} says\n\n- **one** bird <script>alert(1)</script>` : `Just ${'words '.repeat(k + 1)}`])),
      }),
    );
    assert.equal((await commitVia(hub, hub.tokens.alice, 'alice/duel', [fileOp('battles.jsonl', lines.join('\n'))], { type: 'datasets' })).status, 200);
    const r = await api(url('/api/arena'), hub.tokens.alice, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Bird duel', dataset: 'alice/duel' }) });
    assert.equal(r.status, 200, await r.text());
    browser = await launchBrowser();
    ({ page, problems } = await openPage(browser));
  });

  after(async () => {
    await browser?.close();
    await hub?.close();
  });

  test('an anonymous visitor is asked to sign in; the list shows the arena', async () => {
    await page.goto(url('/arena'));
    await page.locator('a', { hasText: 'Bird duel' }).click();
    await page.waitForURL(url('/arena/alice/bird-duel'));
    await page.locator('main .notice a', { hasText: 'Sign in' }).click();
    await page.waitForURL(/\/login\?next=/);
    await page.fill('#login-username', 'alice');
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-form button[type=submit]');
    await page.waitForURL(url('/arena/alice/bird-duel'));
  });

  test('vote with the mouse, then with the keyboard; each vote reveals the models', async () => {
    await page.locator('#arena[data-state=voting]').waitFor();
    // No names before the vote.
    assert.equal(await page.locator('#arena-reveal-a').innerText(), '');
    const answers = await page.locator('.arena-answers').innerText();
    for (const m of MODELS) assert.ok(!answers.includes(m), 'no model name before the vote');
    assert.match(await page.locator('#arena-prompt').innerText(), /Name a bird \(\d\) <b>not bold<\/b>/);
    await screenshot(page, 'arena-battle');
    await page.click('#arena-votes button[data-winner=a]');
    await page.locator('#arena[data-state=revealed]').waitFor();
    const revealed = await page.locator('#arena-result').innerText();
    assert.match(revealed, /You preferred Model A\. Model A was alice\/\w+; Model B was alice\/\w+\./);
    assert.match(await page.locator('#arena-reveal-a').innerText(), /alice\//);
    await screenshot(page, 'arena-revealed');

    // The keyboard: the "Next battle" button has the focus; Enter deals, "2" votes for B.
    await page.waitForFunction(() => document.activeElement?.id === 'arena-next');
    await page.keyboard.press('Enter');
    await page.locator('#arena[data-state=voting]').waitFor();
    await page.waitForFunction(() => (document.activeElement as HTMLElement | null)?.dataset?.winner === 'a');
    await page.keyboard.press('2');
    await page.locator('#arena[data-state=revealed]').waitFor();
    assert.match(await page.locator('#arena-result').innerText(), /You preferred Model B/);
    assert.deepEqual(problems, []);
  });

  test('the leaderboard shows the votes, with and without style control', async () => {
    await page.click('nav.arena-tabs a:has-text("Leaderboard")');
    await page.waitForURL(url('/arena/alice/bird-duel/leaderboard'));
    const table = page.locator('#arena-ratings');
    await table.waitFor();
    assert.match(await table.locator('caption').innerText(), /^2 votes/);
    const rows = await table.locator('tbody tr').count();
    assert.ok(rows >= 2 && rows <= 3, `rows: ${rows}`);
    await page.click('#style-toggle');
    await page.waitForURL(url('/arena/alice/bird-duel/leaderboard?style=1'));
    await page.locator('#arena-ratings th', { hasText: 'Without style control' }).waitFor();
    await screenshot(page, 'arena-leaderboard-style');
    const board = await json(await api(url('/api/arena/alice/bird-duel/leaderboard')));
    assert.equal(board.votes, 2);
    assert.deepEqual(problems, []);
  });
});
