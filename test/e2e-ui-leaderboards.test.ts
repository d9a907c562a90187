/**
 * End to end in a real headless Chromium: a benchmark uploaded with
 * @huggingface/hub and per-sample results for four models posted through the
 * API; alice signs in, creates a leaderboard with the "New leaderboard" form
 * (the page's script, with the CSRF token), lands on it, and sees intervals,
 * rank intervals and the Pareto chart with the non-dominated models marked;
 * then picks other objectives and a family with the GET form. No console
 * problems throughout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { uploadFiles } from '@huggingface/hub';
import type { Browser, Page } from 'playwright-core';
import { setPassword } from '../src/auth/accounts.js';
import { findUserByName } from '../src/auth/users.js';
import { launchBrowser, openPage, screenshot } from './helpers/browser.js';
import { api, commitVia, createRepoVia, fileOp, startTestHub, type TestHub } from './helpers/hub.js';

const PASSWORD = 'correct horse battery staple';
const ids = Array.from({ length: 40 }, (_, i) => `s${i}`);

describe('web UI: leaderboards, in a real browser', () => {
  let hub: TestHub;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const url = (p: string): string => `${hub.url}${p}`;

  before(async () => {
    hub = await startTestHub();
    const { alice } = hub.tokens;
    const db = hub.running.hub.db;
    await setPassword(db, (await findUserByName(db, 'alice'))!.id, PASSWORD);
    assert.equal((await createRepoVia(hub, alice, 'arith', { type: 'dataset' })).status, 200);
    await uploadFiles({
      hubUrl: hub.url, accessToken: alice, repo: { type: 'dataset', name: 'alice/arith' },
      files: [{ path: 'eval.yaml', content: new Blob(['name: Arithmetic\ntask: qa\nmetric: accuracy\nsplit: test\n']) }],
    });
    // (accuracy, $ per sample): base (.5, 1), chat (.8, 2) fine-tuned from base, big (.9, 5), old (.4, 3) dominated by base.
    const models: [string, string, number, number][] = [['base', '# base\n', 20, 1], ['chat', '---\nbase_model: alice/base\n---\n', 32, 2], ['big', '# big\n', 36, 5], ['old', '# old\n', 16, 3]];
    for (const [name, readme, correct, cost] of models) {
      assert.equal((await createRepoVia(hub, alice, name)).status, 200);
      assert.equal((await commitVia(hub, alice, `alice/${name}`, [fileOp('README.md', readme)])).status, 200);
      const r = await api(url(`/api/models/alice/${name}/evals`), alice, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ benchmark: 'alice/arith', samples: ids.map((id, i) => ({ id, score: i < correct ? 1 : 0, costUsd: cost, latencyMs: 10 * cost })) }),
      });
      assert.equal(r.status, 200, await r.text());
    }
    browser = await launchBrowser();
    ({ page, problems } = await openPage(browser));
  });

  after(async () => {
    await browser?.close();
    await hub?.close();
  });

  test('create a leaderboard from the form, then read intervals, rank intervals and the Pareto chart', async () => {
    await page.goto(url('/login?next=/leaderboards'));
    await page.waitForFunction(() => document.activeElement?.id === 'login-username');
    await page.fill('#login-username', 'alice');
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-form button[type=submit]');
    await page.waitForURL((u) => u.pathname === '/leaderboards');
    await page.click('details.new-leaderboard > summary');
    await page.waitForSelector('#new-leaderboard-form fieldset:not([disabled])');
    await page.fill('#nl-slug', 'arith');
    await page.fill('#nl-title', 'Arithmetic board');
    await page.fill('#nl-benchmarks', 'alice/arith');
    await page.click('#new-leaderboard-form button[type=submit]');
    await page.waitForURL((u) => u.pathname === '/leaderboards/alice/arith');

    const table = page.locator('#leaderboard-table');
    await table.waitFor();
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-model')));
    assert.deepEqual(rows, ['alice/big', 'alice/chat', 'alice/base', 'alice/old']);
    const chatCell = (await table.locator('tr[data-model="alice/chat"] td').nth(1).innerText()).replace(/\s+/g, ' ');
    assert.match(chatCell, /^0\.800 \[0\.[0-9]{3}, 0\.[0-9]{3}\] n=40 rank [0-9](–[0-9])?/);
    assert.match(await page.locator('#methods').innerText(), /Wilson/);

    // The chart: aggregate × cost by default; base, chat and big are non-dominated, old is not.
    const svg = page.locator('svg.pareto-chart');
    await svg.waitFor();
    assert.equal(await svg.locator('title').first().textContent(), 'Pareto front: aggregate × cost');
    const front = await svg.locator('g.point').evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-model'), g.getAttribute('data-front')]));
    assert.deepEqual(Object.fromEntries(front as [string, string][]), { 'alice/big': '1', 'alice/chat': '1', 'alice/base': '1', 'alice/old': '0' });
    assert.equal(await svg.locator('polyline.front-line').count(), 1);
    await screenshot(page, 'leaderboard');

    // Other objectives and a family, through the page's GET form.
    await page.selectOption('#lb-obj2', 'latency');
    await page.fill('#lb-family', 'alice/base');
    await page.click('.leaderboard-controls button[type=submit]');
    await page.waitForURL((u) => u.searchParams.get('family') === 'alice/base');
    assert.equal(await page.locator('svg.pareto-chart title').first().textContent(), 'Pareto front: aggregate × latency');
    const family = await page.locator('#leaderboard-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-model')));
    assert.deepEqual(family, ['alice/chat', 'alice/base']);
    assert.deepEqual(problems, []);
  });
});
