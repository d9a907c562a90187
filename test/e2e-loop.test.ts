/**
 * The whole loop of issue 6, end to end on the real app (SQLite), with the
 * real npm `@huggingface/hub` client and a real headless Chromium:
 *
 * 1. alice uploads two benchmarks (dataset repos with an `eval.yaml`), four
 *    models and their per-sample results (JSONL files uploaded with the
 *    client, then posted as results through the API by file reference);
 * 2. she defines a weighted leaderboard with the page's form and sees, in
 *    the browser, intervals, rank intervals, the weighted aggregate and the
 *    Pareto chart with the non-dominated models marked, as worked out by hand;
 * 3. bob votes in the arena in the browser, once for A with "publish my votes"
 *    ticked, then a tie;
 * 4. bob sends feedback with the form; alice accepts it in the triage queue
 *    and exports it from the page; she then exports the arena's votes to the
 *    same dataset through the API;
 * 5. the dataset is downloaded with `@huggingface/hub` and its rows and
 *    provenance checked: the feedback's SFT row and preference pair, and the
 *    arena vote's preference pair with both models and their revisions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRepo, downloadFile, listFiles, uploadFiles } from '@huggingface/hub';
import type { Browser, Page } from 'playwright-core';
import { setPassword } from '../src/auth/accounts.js';
import { findUserByName } from '../src/auth/users.js';
import { launchBrowser, openPage, screenshot } from './helpers/browser.js';
import { api, headOf, json, startTestHub, type TestHub } from './helpers/hub.js';

const PASSWORD = 'correct horse battery staple';
const SAMPLES = Array.from({ length: 40 }, (_, i) => `q${i}`);
/** [model, correct on qa, correct on code (of 40), $ per sample]. */
const MODELS: [string, number, number, number][] = [
  ['base', 20, 10, 1],
  ['chat', 32, 20, 2],
  ['big', 36, 36, 5],
  ['old', 16, 12, 3],
];
/** The arena's prompts and answers: each answer names its model, so the test knows what was chosen. */
const ARENA_MODELS = ['alice/base', 'alice/chat', 'alice/big'];
const arenaAnswer = (model: string, prompt: string): string => `${model} answers ${prompt}: write to team@example.com`;
const arenaRedacted = (model: string, prompt: string): string => `${model} answers ${prompt}: write to [EMAIL]`;

describe('the loop: benchmark → leaderboard → arena → feedback → dataset', () => {
  let hub: TestHub;
  let browser: Browser;
  let alicePage: Page;
  let bobPage: Page;
  let aliceProblems: string[] = [];
  let bobProblems: string[] = [];
  const heads = new Map<string, string>();
  const url = (p: string): string => `${hub.url}${p}`;
  const hubOpts = (): { hubUrl: string; accessToken: string } => ({ hubUrl: hub.url, accessToken: hub.tokens.alice });
  const postJson = (path: string, token: string, body: unknown): Promise<Response> =>
    api(url(path), token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  async function signIn(page: Page, user: string, next: string): Promise<void> {
    await page.goto(url(`/login?next=${encodeURIComponent(next)}`));
    await page.waitForFunction(() => document.activeElement?.id === 'login-username');
    await page.fill('#login-username', user);
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-form button[type=submit]');
    await page.waitForURL(url(next));
  }

  before(async () => {
    hub = await startTestHub();
    const db = hub.running.hub.db;
    await setPassword(db, (await findUserByName(db, 'alice'))!.id, PASSWORD);
    await setPassword(db, (await findUserByName(db, 'bob'))!.id, PASSWORD);
    browser = await launchBrowser();
    ({ page: alicePage, problems: aliceProblems } = await openPage(browser));
    ({ page: bobPage, problems: bobProblems } = await openPage(browser));
  });

  after(async () => {
    await browser?.close();
    await hub?.close();
  });

  test('benchmarks, models and per-sample results go up with @huggingface/hub', async () => {
    const idsFile = SAMPLES.map((id) => JSON.stringify({ id })).join('\n') + '\n';
    for (const [name, title] of [['loop-qa', 'Loop QA'], ['loop-code', 'Loop code']]) {
      await createRepo({ ...hubOpts(), repo: { type: 'dataset', name: `alice/${name}` } });
      await uploadFiles({
        ...hubOpts(), repo: { type: 'dataset', name: `alice/${name}` },
        files: [
          { path: 'eval.yaml', content: new Blob([`name: ${title}\ntask: qa\nmetric: accuracy\nsplit: test\nsamples: data/test.jsonl\n`]) },
          { path: 'data/test.jsonl', content: new Blob([idsFile]) },
        ],
      });
    }
    // Per-sample scores as JSONL in a results dataset, uploaded with the client, then posted by reference.
    await createRepo({ ...hubOpts(), repo: { type: 'dataset', name: 'alice/loop-results' } });
    const scores = (correct: number, cost: number): string => SAMPLES.map((id, i) => JSON.stringify({ id, score: i < correct ? 1 : 0, costUsd: cost, latencyMs: 100 * cost })).join('\n') + '\n';
    await uploadFiles({
      ...hubOpts(), repo: { type: 'dataset', name: 'alice/loop-results' },
      files: MODELS.flatMap(([m, qa, code, cost]) => [
        { path: `qa/${m}.jsonl`, content: new Blob([scores(qa, cost)]) },
        { path: `code/${m}.jsonl`, content: new Blob([scores(code, cost)]) },
      ]),
    });
    for (const [m, qa, code] of MODELS) {
      await createRepo({ ...hubOpts(), repo: `alice/${m}` });
      await uploadFiles({ ...hubOpts(), repo: `alice/${m}`, files: [{ path: 'README.md', content: new Blob([`# ${m}\n`]) }] });
      heads.set(`alice/${m}`, await headOf(hub, hub.tokens.alice, `alice/${m}`));
      for (const [bench, correct] of [['qa', qa], ['code', code]] as const) {
        const r = await postJson(`/api/models/alice/${m}/evals`, hub.tokens.alice, { benchmark: `alice/loop-${bench}`, samplesRepo: 'alice/loop-results', samplesFile: `${bench}/${m}.jsonl` });
        assert.equal(r.status, 200, await r.clone().text());
        const result = await json(r);
        assert.deepEqual([result.value, result.n], [correct / 40, 40]);
      }
    }
  });

  test('a weighted leaderboard in the browser: intervals, rank intervals, aggregate and the Pareto front', async () => {
    await signIn(alicePage, 'alice', '/leaderboards');
    await alicePage.click('details.new-leaderboard > summary');
    await alicePage.waitForSelector('#new-leaderboard-form fieldset:not([disabled])');
    await alicePage.fill('#nl-slug', 'loop');
    await alicePage.fill('#nl-title', 'The loop board');
    await alicePage.fill('#nl-benchmarks', 'alice/loop-qa 3\nalice/loop-code 1');
    await alicePage.click('#new-leaderboard-form button[type=submit]');
    await alicePage.waitForURL((u) => u.pathname === '/leaderboards/alice/loop');

    // By hand. Normalised qa (worst .4, best .9): base .2, chat .8, big 1, old 0; code (worst .25, best .9):
    // base 0, chat .25/.65, big 1, old .05/.65. Weighted 3:1: big 1, chat (2.4 + .3846)/4 = .696, base .15, old .019.
    const table = alicePage.locator('#leaderboard-table');
    await table.waitFor();
    assert.deepEqual(await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-model'))), ['alice/big', 'alice/chat', 'alice/base', 'alice/old']);
    const cell = async (model: string, col: number): Promise<string> => (await table.locator(`tr[data-model="${model}"] td`).nth(col).innerText()).replace(/\s+/g, ' ');
    // A cell: the point, its interval (numbers to 3 significant digits), then the rank interval.
    const interval = (cellText: string): { point: number; lo: number; hi: number; rank: string; flags: string } => {
      const m = /^([0-9.]+) \[([0-9.]+), ([0-9.]+)\](?: n=40)? rank ([1-4](?:–[1-4])?)(.*)$/.exec(cellText);
      assert.ok(m, `a cell with an interval and a rank interval: ${cellText}`);
      return { point: Number(m[1]), lo: Number(m[2]), hi: Number(m[3]), rank: m[4]!, flags: m[5]!.trim() };
    };
    const chatAgg = interval(await cell('alice/chat', 0));
    assert.equal(chatAgg.point, 0.696);
    assert.ok(chatAgg.lo < chatAgg.point && chatAgg.point < chatAgg.hi, JSON.stringify(chatAgg));
    const bigAgg = interval(await cell('alice/big', 0));
    assert.equal(bigAgg.point, 1);
    assert.match(bigAgg.rank, /^1/);
    // Per benchmark: the mean, a Wilson interval around it (never a point), n and a rank interval.
    assert.match(await cell('alice/chat', 1), / n=40 rank /);
    const chatQa = interval(await cell('alice/chat', 1));
    assert.equal(chatQa.point, 0.8);
    assert.ok(chatQa.lo < 0.8 && chatQa.hi > 0.8);
    // Posted by the model's own writer: flagged as self-reported.
    assert.equal(chatQa.flags, 'self-reported');
    assert.equal(interval(await cell('alice/base', 2)).point, 0.25);
    assert.match(await table.locator('thead').innerText(), /weight 3/);
    const methods = await alicePage.locator('#methods').innerText();
    assert.match(methods, /Wilson/);
    assert.match(methods, /weighted mean \(weights 3, 1\)/);

    // Pareto, aggregate ↑ × cost ↓: base (.15, $1), chat (.696, $2), big (1, $5) are non-dominated; old (.019, $3) is dominated by base.
    const svg = alicePage.locator('svg.pareto-chart');
    await svg.waitFor();
    const front = await svg.locator('g.point').evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-model'), g.getAttribute('data-front')]));
    assert.deepEqual(Object.fromEntries(front as [string, string][]), { 'alice/big': '1', 'alice/chat': '1', 'alice/base': '1', 'alice/old': '0' });
    assert.deepEqual(await table.locator('th .pareto-front').evaluateAll((els) => els.map((e) => e.closest('tr')!.getAttribute('data-model')).sort()), ['alice/base', 'alice/big', 'alice/chat']);
    await screenshot(alicePage, 'loop-leaderboard');
    assert.deepEqual(aliceProblems, []);
  });

  let voted: { a: string; b: string; prompt: string };
  test('bob votes in the arena in the browser, consenting to publication', async () => {
    await createRepo({ ...hubOpts(), repo: { type: 'dataset', name: 'alice/loop-duel' } });
    const lines = ['p1', 'p2'].map((id) => JSON.stringify({ id, prompt: `Question ${id}, from bob@example.org`, outputs: Object.fromEntries(ARENA_MODELS.map((m) => [m, arenaAnswer(m, id)])) }));
    await uploadFiles({ ...hubOpts(), repo: { type: 'dataset', name: 'alice/loop-duel' }, files: [{ path: 'battles.jsonl', content: new Blob([lines.join('\n') + '\n']) }] });
    const created = await postJson('/api/arena', hub.tokens.alice, { title: 'Loop duel', dataset: 'alice/loop-duel' });
    assert.equal(created.status, 200, await created.text());

    await signIn(bobPage, 'bob', '/arena/alice/loop-duel');
    await bobPage.locator('#arena[data-state=voting]').waitFor();
    const shown = await bobPage.locator('#arena-prompt').innerText();
    const prompt = /Question (p\d)/.exec(shown)![1]!;
    await bobPage.check('#arena-consent');
    await bobPage.click('#arena-votes button[data-winner=a]');
    await bobPage.locator('#arena[data-state=revealed]').waitFor();
    const m = /Model A was (alice\/\w+); Model B was (alice\/\w+)\./.exec(await bobPage.locator('#arena-result').innerText())!;
    voted = { a: m[1]!, b: m[2]!, prompt };
    assert.ok(await bobPage.locator('.arena-answers').innerText().then((t) => t.includes(arenaAnswer(voted.a, prompt))));
    // A tie, consented too: it expresses no preference and is never exported.
    await bobPage.click('#arena-next');
    await bobPage.locator('#arena[data-state=voting]').waitFor();
    assert.equal(await bobPage.isChecked('#arena-consent'), true, 'the choice stays for the next battle');
    await bobPage.click('#arena-votes button[data-winner=tie]');
    await bobPage.locator('#arena[data-state=revealed]').waitFor();
    await screenshot(bobPage, 'loop-arena');
    const board = await json(await api(url('/api/arena/alice/loop-duel/leaderboard')));
    assert.equal(board.votes, 2);
    assert.deepEqual(bobProblems, []);
  });

  test('feedback from the form, accepted in the queue, exported; the arena votes exported to the same dataset', async () => {
    await bobPage.goto(url('/alice/chat/feedback'));
    await bobPage.locator('#feedback-form fieldset:not([disabled])').first().waitFor();
    await bobPage.fill('#fb-prompt', 'How do I reset my password?');
    await bobPage.fill('#fb-response', 'Send it to admin@example.org');
    await bobPage.selectOption('#fb-rating', 'down');
    await bobPage.fill('#fb-correction', 'Use the "Forgot password" link.');
    await bobPage.check('#fb-consent');
    await bobPage.click('#feedback-form button[type=submit]');
    await bobPage.locator('#feedback-list .feedback-item[data-status=new]').waitFor();

    await alicePage.goto(url('/alice/chat/feedback'));
    const item = alicePage.locator('#feedback-list .feedback-item[data-status=new]');
    await item.waitFor();
    await item.locator('summary').click();
    assert.equal(await item.locator('[data-redacted-response]').innerText(), 'Send it to [EMAIL]');
    await item.locator('button[data-triage=accepted]').click();
    await alicePage.locator('#feedback-list .feedback-item[data-status=accepted]').waitFor();
    await alicePage.locator('#export-form fieldset:not([disabled])').first().waitFor();
    assert.equal(await alicePage.inputValue('#export-dataset'), 'alice/chat-feedback');
    await alicePage.click('#export-form button[type=submit]');
    const status = alicePage.locator('#export-status.ok');
    await status.waitFor();
    assert.match(await status.innerText(), /Exported 1 feedback item\(s\) to alice\/chat-feedback: 1 SFT row\(s\), 1 preference pair\(s\)/);

    const r = await postJson('/api/arena/alice/loop-duel/export', hub.tokens.alice, { dataset: 'alice/chat-feedback' });
    assert.equal(r.status, 200, await r.clone().text());
    const x = await json(r);
    assert.deepEqual([x.exported, x.shard, x.created], [1, 0, false]);
    assert.deepEqual(bobProblems, []);
    assert.deepEqual(aliceProblems, []);
  });

  test('the exported dataset, downloaded with @huggingface/hub: rows and provenance', async () => {
    const repo = { type: 'dataset' as const, name: 'alice/chat-feedback' };
    const files: string[] = [];
    for await (const f of listFiles({ ...hubOpts(), repo, recursive: true })) if (f.type === 'file' && f.path !== '.gitattributes') files.push(f.path);
    assert.deepEqual(files.sort(), [
      'README.md',
      'data/preference/arena-000000.jsonl', 'data/preference/part-000000.jsonl', 'data/sft/part-000000.jsonl',
      'provenance/arena-000000.jsonl', 'provenance/part-000000.jsonl',
    ]);
    const rows = async (path: string): Promise<any[]> => {
      const blob = await downloadFile({ ...hubOpts(), repo, path });
      assert.ok(blob, `${path} exists`);
      return (await blob.text()).trimEnd().split('\n').map((l) => JSON.parse(l));
    };
    const feedback = await json(await api(url('/api/models/alice/chat/feedback'), hub.tokens.alice));
    const fb = feedback.items[0];
    const chatHead = heads.get('alice/chat')!;

    assert.deepEqual(await rows('data/sft/part-000000.jsonl'), [{
      messages: [{ role: 'user', content: 'How do I reset my password?' }, { role: 'assistant', content: 'Use the "Forgot password" link.' }],
      feedback_id: fb.id, model: 'alice/chat', model_revision: chatHead,
    }]);
    assert.deepEqual(await rows('data/preference/part-000000.jsonl'), [{
      prompt: [{ role: 'user', content: 'How do I reset my password?' }],
      chosen: [{ role: 'assistant', content: 'Use the "Forgot password" link.' }],
      rejected: [{ role: 'assistant', content: 'Send it to [EMAIL]' }],
      source: 'feedback', feedback_id: fb.id, battle_id: null,
      model: 'alice/chat', model_revision: chatHead, rejected_model: 'alice/chat', rejected_model_revision: chatHead,
    }]);
    const [fbProv] = await rows('provenance/part-000000.jsonl');
    assert.deepEqual([fbProv.feedback_id, fbProv.source, fbProv.model_revision, fbProv.consent_at, fbProv.submitted_at], [fb.id, 'feedback', chatHead, fb.consent.at, fb.createdAt]);

    // The arena vote: A won, so A's answer is chosen; both models with the commits their repos were at.
    const battle = await hub.running.hub.db.selectFrom('arena_battles').select(['id', 'voted_at']).where('winner', '=', 'a').executeTakeFirstOrThrow();
    const pair = {
      prompt: [{ role: 'user', content: `Question ${voted.prompt}, from [EMAIL]` }],
      chosen: [{ role: 'assistant', content: arenaRedacted(voted.a, voted.prompt) }],
      rejected: [{ role: 'assistant', content: arenaRedacted(voted.b, voted.prompt) }],
      source: 'arena', feedback_id: null, battle_id: battle.id,
      model: voted.a, model_revision: heads.get(voted.a), rejected_model: voted.b, rejected_model_revision: heads.get(voted.b),
    };
    assert.deepEqual(await rows('data/preference/arena-000000.jsonl'), [pair]);
    const [prov] = await rows('provenance/arena-000000.jsonl');
    assert.deepEqual(
      { ...prov, exported_at: undefined, export_id: undefined },
      {
        feedback_id: null, battle_id: battle.id, source: 'arena',
        model: voted.a, model_revision: heads.get(voted.a), rejected_model: voted.b, rejected_model_revision: heads.get(voted.b),
        submitted_at: battle.voted_at, consent_at: battle.voted_at, exported_at: undefined, export_id: undefined,
        sft: null, preference: { file: 'data/preference/arena-000000.jsonl', line: 0 },
        battle: {
          arena: 'alice/loop-duel', prompt_id: voted.prompt, dataset: 'alice/loop-duel',
          dataset_revision: await headOf(hub, hub.tokens.alice, 'alice/loop-duel', 'main', 'datasets'), live: false,
          model_a: voted.a, model_b: voted.b, winner: 'a',
        },
      },
    );
    const card = await (await downloadFile({ ...hubOpts(), repo, path: 'README.md' }))!.text();
    assert.match(card, /pretty_name: Feedback and arena votes/);
    assert.match(card, /1 chat \(SFT\) rows and 2 preference pairs\n\(1 from feedback, 1 from arena votes\)/);
  });
});
