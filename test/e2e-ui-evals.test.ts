/**
 * End to end in a real headless Chromium: the "Evaluations" tab of a model.
 * Results come from the card's model-index, a .eval_results file and the API
 * (one self-reported by alice, one reproduced by bob); an anonymous visitor
 * reads the table, then alice signs in and flags a result from the page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { setPassword } from '../src/auth/accounts.js';
import { findUserByName } from '../src/auth/users.js';
import { launchBrowser, openPage, screenshot } from './helpers/browser.js';
import { api, commitVia, createRepoVia, fileOp, headOf, startTestHub, type TestHub } from './helpers/hub.js';

const PASSWORD = 'a long password for alice';

describe('web UI: the Evaluations tab, in a real browser', () => {
  let hub: TestHub;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let head: string;
  const url = (p: string): string => `${hub.url}${p}`;
  const rows = (selector: string): Promise<string[][]> =>
    page.locator(selector).evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').replace(/\s+/g, ' ').trim())));
  const repo = async (token: string, name: string, type: string, files: Record<string, string>): Promise<void> => {
    assert.equal((await createRepoVia(hub, token, name, { type })).status, 200);
    assert.equal((await commitVia(hub, token, `alice/${name}`, Object.entries(files).map(([p, c]) => fileOp(p, c)), { type: `${type}s` })).status, 200);
  };
  const postResult = async (token: string, scores: number[]): Promise<void> => {
    const r = await api(`${hub.url}/api/models/alice/model/evals`, token, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ benchmark: 'alice/bench', samples: scores.map((score, i) => ({ id: `s${i}`, score })) }),
    });
    assert.equal(r.status, 200, await r.text());
  };

  before(async () => {
    hub = await startTestHub();
    const db = hub.running.hub.db;
    await setPassword(db, (await findUserByName(db, 'alice'))!.id, PASSWORD);
    const { alice, bob } = hub.tokens;
    await repo(alice, 'bench', 'dataset', { 'eval.yaml': 'name: Bench\ntask: qa\nmetric: accuracy\nsplit: test\n' });
    await repo(alice, 'model', 'model', {
      'README.md': '---\nmodel-index:\n- name: model\n  results:\n  - task: {type: qa}\n    dataset: {type: alice/bench, name: Bench}\n    metrics:\n    - {type: accuracy, value: 0.8}\n---\n# Model\n',
      '.eval_results/hle.yaml': '- dataset: {id: cais/hle, task_id: default}\n  value: 20.9\n',
    });
    head = await headOf(hub, undefined, 'alice/model');
    await postResult(alice, [1, 1, 1, 0]);
    await postResult(bob, [1, 0, 1, 0]);
    browser = await launchBrowser();
    ({ page, problems } = await openPage(browser));
  });

  after(async () => {
    await browser?.close();
    await hub?.close();
  });

  test('results by benchmark, with source, kind and revision', async () => {
    await page.goto(url('/alice/model'));
    // The card page's summary: one line per benchmark and metric, and a link to the tab.
    assert.deepEqual((await rows('.eval-summary tr:has(td)')).map((r) => r.slice(0, 2)), [['Bench', 'accuracy'], ['cais/hle', 'default']]);
    assert.equal(await page.locator('.eval-summary > a').textContent(), 'All 4 evaluation results →');
    await page.getByRole('link', { name: 'Evaluations', exact: true }).click();
    await page.waitForURL(url('/alice/model/evals'));
    assert.equal(await page.locator('nav.tabs a[aria-current=page]').textContent(), 'Evaluations');
    assert.deepEqual(await page.locator('.eval-benchmark h3').allTextContents(), ['alice/bench Bench', 'cais/hle external']);
    const short = head.slice(0, 7);
    // Rows of one benchmark in any order (results posted in the same millisecond have no order).
    const sorted = async (sel: string): Promise<string[][]> => (await rows(sel)).sort((a, b) => a.join('|').localeCompare(b.join('|')));
    assert.deepEqual(await sorted('.eval-benchmark:nth-of-type(1) tbody tr'), [
      ['accuracy', '0.5', '4', 'API', 'reproduced', '', short, 'bob'],
      ['accuracy', '0.75', '4', 'API', 'self-reported', '', short, 'alice'],
      ['accuracy', '0.8', '—', 'card', 'self-reported', '', short, 'alice'],
    ]);
    assert.deepEqual(await rows('.eval-benchmark:nth-of-type(2) tbody tr'), [['default', '20.9', '—', 'file .eval_results/hle.yaml', 'self-reported', '', short, 'alice']]);
    assert.equal(await page.locator(`.eval-benchmark a[href="/alice/model/commit/${head}"]`).first().textContent(), short);
    assert.equal(await page.locator('form#eval-flag').count(), 0, 'no flag form for visitors');
    await screenshot(page, 'evals-tab-anonymous');
  });

  test('alice flags a result from the page', async () => {
    await page.goto(url('/login'));
    await page.waitForFunction(() => document.activeElement?.id === 'login-username');
    await page.keyboard.type('alice');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL(url('/'));
    await page.goto(url('/alice/model/evals'));
    await page.waitForFunction(() => !document.querySelector<HTMLFieldSetElement>('form#eval-flag fieldset')?.disabled);
    const bobRow = page.locator('tr', { hasText: 'bob' });
    const id = await bobRow.getAttribute('data-result');
    await page.selectOption('#eval-flag-result', id!);
    await page.check('input[name=contaminated]');
    await page.fill('#eval-flag-note', 'Samples overlap the training set');
    await page.getByRole('button', { name: 'Save flags' }).click();
    await page.waitForSelector(`tr[data-result="${id}"] .eval-flag`);
    const cell = page.locator(`tr[data-result="${id}"] td:nth-child(6)`);
    assert.deepEqual(await cell.locator('.pill').allTextContents(), ['contaminated']);
    assert.equal(await cell.locator('div').textContent(), 'Samples overlap the training set — alice');
    // The other results are untouched.
    assert.equal(await page.locator('.eval-flag').count(), 1);
    await screenshot(page, 'evals-tab-flagged');
    assert.deepEqual(problems, []);
  });
});
