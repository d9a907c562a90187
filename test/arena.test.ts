/**
 * The arena through its JSON API on the real app (both dialects): an arena
 * over a dataset's battles.jsonl committed through the API, battles dealt
 * blind, votes and reveals, the doors that must stay shut, the rate guard,
 * and ratings: a model that always wins ranks first, and the voter cap keeps
 * one prolific voter from dragging a weak model up.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fitBradleyTerry, type Battle } from '../src/evals/stats/bradley-terry.js';
import { api, commitVia, createRepoVia, expectError, fileOp, headOf, json, startTestHub, testDialects, type TestHub } from './helpers/hub.js';

const STRONG = 'alice/strong';
const MID = 'org-x/mid';
const WEAK = 'alice/weak';

/** Each answer carries a code naming its model and prompt, so the test knows who is behind "A" without the API saying. */
const code = (model: string, id: string): string => `[${model === STRONG ? 'S' : model === MID ? 'M' : 'W'}-${id}]`;
const modelOfCode = (answer: string): { model: string; prompt: string } => {
  const m = /\[([SMW])-(\w+)\]/.exec(answer)!;
  return { model: m[1] === 'S' ? STRONG : m[1] === 'M' ? MID : WEAK, prompt: m[2]! };
};

function battlesJsonl(): string {
  const lines: unknown[] = [];
  for (let i = 1; i <= 5; i++) {
    const id = `p${i}`;
    lines.push({
      id,
      prompt: i % 2 ? `Question ${i}?` : [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: `Question ${i}?` }],
      outputs: {
        [STRONG]: `## A long answer ${code(STRONG, id)}\n\n- one\n- two\n\n**bold** and more words here`,
        [MID]: `A medium answer ${code(MID, id)}`,
        [WEAK]: `${code(WEAK, id)}`,
      },
    });
  }
  // Only one model answered: never a battle.
  lines.push({ id: 'solo', prompt: 'Alone?', outputs: { [STRONG]: 'yes', [MID]: '' } });
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

for (const dialect of testDialects()) {
  describe(`arena (${dialect})`, () => {
    let hub: TestHub;
    let t: TestHub['tokens'];
    const call = (path: string, token: string | undefined, method = 'GET', body?: unknown) =>
      api(`${hub.url}/api/arena${path}`, token, body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const create = async (extra: Record<string, unknown>, token = t.alice) => {
      const r = await call('', token, 'POST', { namespace: 'alice', dataset: 'alice/arena-data', ...extra });
      assert.equal(r.status, 200, await r.clone().text());
      return json(r);
    };
    const deal = async (arena: string, token: string) => {
      const r = await call(`/${arena}/battles`, token, 'POST', {});
      assert.equal(r.status, 200, await r.clone().text());
      return json(r);
    };
    const castVote = (arena: string, battleId: string, winner: unknown, token: string | undefined) => call(`/${arena}/battles/${battleId}/vote`, token, 'POST', { winner });
    /** Deals and votes by a rule on the two (known) models; returns the battle as the fit sees it. */
    const play = async (arena: string, token: string, voter: string, pick: (a: string, b: string) => 'a' | 'b' | 'tie' | 'both_bad'): Promise<Battle> => {
      const d = await deal(arena, token);
      const a = modelOfCode(d.a.answer).model;
      const b = modelOfCode(d.b.answer).model;
      const winner = pick(a, b);
      const r = await castVote(arena, d.battleId, winner, token);
      assert.equal(r.status, 200, await r.clone().text());
      const revealed = await json(r);
      assert.deepEqual([revealed.a, revealed.b], [a, b]);
      return { a, b, outcome: winner, voter };
    };
    const rank = { [STRONG]: 3, [MID]: 2, [WEAK]: 1 } as Record<string, number>;
    const truthful = (a: string, b: string) => (rank[a]! > rank[b]! ? 'a' : 'b') as 'a' | 'b';

    let datasetHead: string;
    before(async () => {
      hub = await startTestHub({ dialect });
      t = hub.tokens;
      assert.equal((await createRepoVia(hub, t.alice, 'arena-data', { type: 'dataset' })).status, 200);
      const r = await commitVia(hub, t.alice, 'alice/arena-data', [fileOp('battles.jsonl', battlesJsonl()), fileOp('broken.jsonl', '{"id": "x", "prompt": "p", "outputs": {"a/b": "1", "c/d": "2"}}\nnot json\n'), fileOp('lonely.jsonl', '{"id": 1, "prompt": "p", "outputs": {"a/b": "1"}}\n')], { type: 'datasets' });
      assert.equal(r.status, 200, await r.text());
      datasetHead = await headOf(hub, t.alice, 'alice/arena-data', 'main', 'datasets');
      assert.equal((await createRepoVia(hub, t.alice, 'secret-data', { type: 'dataset', private: true })).status, 200);
      assert.equal((await commitVia(hub, t.alice, 'alice/secret-data', [fileOp('battles.jsonl', battlesJsonl())], { type: 'datasets' })).status, 200);
    });
    after(() => hub.close());

    test('create, read, list; bad input gets the right status', async () => {
      const a = await create({ title: 'Main arena' });
      assert.equal(a.name, 'alice/main-arena');
      assert.equal(a.dataset, 'alice/arena-data');
      assert.equal(a.file, 'battles.jsonl');
      assert.equal(a.revision, datasetHead, 'pinned to the commit of the dataset');
      assert.equal(a.prompts, 5, 'the prompt only one model answered is left out');
      assert.equal(a.models, 3);
      assert.equal(a.private, false);
      assert.equal(a.votesPerMinute, 20);
      assert.equal(a.voterCap, 0.05);
      assert.equal(a.url, `${hub.url}/arena/alice/main-arena`);
      const got = await json(await call('/alice/main-arena', undefined));
      assert.equal(got.title, 'Main arena');
      const list = await json(await call('?owner=alice', undefined));
      assert.ok(list.some((x: any) => x.name === 'alice/main-arena'));
      assert.deepEqual(await json(await call('?owner=bob', undefined)), []);

      await expectError(await call('', t.alice, 'POST', { namespace: 'alice', dataset: 'alice/arena-data', title: 'main ARENA' }), 409);
      await expectError(await call('', undefined, 'POST', { dataset: 'alice/arena-data', title: 'x' }), 401);
      await expectError(await call('', t.aliceRead, 'POST', { dataset: 'alice/arena-data', title: 'x' }), 403);
      await expectError(await call('', t.bob, 'POST', { namespace: 'alice', dataset: 'alice/arena-data', title: 'x' }), 403);
      await expectError(await call('', t.alice, 'POST', { dataset: 'alice/arena-data' }), 400);
      await expectError(await call('', t.alice, 'POST', { title: 'x' }), 400);
      await expectError(await call('', t.alice, 'POST', { title: 'x', dataset: 'no-slash' }), 400);
      await expectError(await call('', t.alice, 'POST', { title: 'x', dataset: 'alice/missing' }), 404, 'RepoNotFound');
      await expectError(await call('', t.bob, 'POST', { title: 'x', dataset: 'alice/secret-data' }), 404, 'RepoNotFound');
      await expectError(await call('', t.alice, 'POST', { title: 'x', dataset: 'alice/arena-data', file: 'nope.jsonl' }), 404, 'EntryNotFound');
      await expectError(await call('', t.alice, 'POST', { title: 'x', dataset: 'alice/arena-data', revision: 'no-such-branch' }), 404);
      const broken = await expectError(await call('', t.alice, 'POST', { title: 'x', dataset: 'alice/arena-data', file: 'broken.jsonl' }), 400);
      assert.match(broken.error, /line 2/);
      await expectError(await call('', t.alice, 'POST', { title: 'x', dataset: 'alice/arena-data', file: 'lonely.jsonl' }), 400);
      await expectError(await call('', t.alice, 'POST', { title: 'x', dataset: 'alice/arena-data', votesPerMinute: 0 }), 400);
      await expectError(await call('', t.alice, 'POST', { title: 'x', dataset: 'alice/arena-data', voterCap: 1.5 }), 400);
      await expectError(await call('', t.alice, 'POST', { title: 'x', dataset: 'alice/arena-data', private: 'yes' }), 400);
      await expectError(await call('', t.alice, 'POST', { title: 'x', dataset: 'alice/arena-data', slug: 'Bad Slug' }), 400);
      // A private dataset cannot back a public arena (its answers would leak through it).
      await expectError(await call('', t.alice, 'POST', { title: 'x', dataset: 'alice/secret-data' }), 400);
      await expectError(await call('', t.alice, 'PUT', {}), 405);
      await expectError(await call('/alice/main-arena/nothing', t.alice), 404);
    });

    test('battles are dealt blind; votes reveal; the doors stay shut', async () => {
      const arena = 'alice/main-arena';
      await expectError(await call(`/${arena}/battles`, undefined, 'POST', {}), 401);
      await expectError(await call(`/${arena}/battles`, t.aliceRead, 'POST', {}), 403);
      const seenPairs = new Set<string>();
      for (let i = 0; i < 12; i++) {
        const d = await deal(arena, t.alice);
        const text = JSON.stringify(d);
        for (const m of [STRONG, MID, WEAK]) assert.ok(!text.includes(m), `no model name in the dealt battle: ${text}`);
        assert.deepEqual(Object.keys(d.a).sort(), ['answer', 'html']);
        assert.match(d.battleId, /^[A-Za-z0-9_-]{22,}$/);
        const a = modelOfCode(d.a.answer);
        const b = modelOfCode(d.b.answer);
        assert.notEqual(a.model, b.model, 'two different models');
        assert.equal(a.prompt, b.prompt, 'both answered the same prompt');
        assert.equal(d.promptId, a.prompt);
        const n = Number(a.prompt.slice(1));
        if (n % 2) assert.equal(d.prompt, `Question ${n}?`);
        else assert.deepEqual(d.prompt, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: `Question ${n}?` }]);
        seenPairs.add([a.model, b.model].sort().join(' '));
        if (a.model === STRONG) assert.match(d.a.html, /<h2[^>]*>A long answer/);
      }
      assert.ok(seenPairs.size >= 2, 'pairs vary');

      const d = await deal(arena, t.alice);
      // Someone else's battle, an unknown one, anonymous, a read token, a bad winner.
      await expectError(await castVote(arena, d.battleId, 'a', t.bob), 404);
      await expectError(await castVote(arena, 'AAAAAAAAAAAAAAAAAAAAAA', 'a', t.alice), 404);
      await expectError(await castVote(arena, d.battleId, 'a', undefined), 401);
      await expectError(await castVote(arena, d.battleId, 'a', t.aliceRead), 403);
      await expectError(await castVote(arena, d.battleId, 'left', t.alice), 400);
      await expectError(await castVote(arena, d.battleId, undefined, t.alice), 400);
      const r = await castVote(arena, d.battleId, 'tie', t.alice);
      assert.equal(r.status, 200);
      const revealed = await json(r);
      assert.equal(revealed.a, modelOfCode(d.a.answer).model);
      assert.equal(revealed.b, modelOfCode(d.b.answer).model);
      assert.equal(revealed.winner, 'tie');
      await expectError(await castVote(arena, d.battleId, 'a', t.alice), 409);

      // One open battle per user: a new deal replaces the unvoted one.
      const first = await deal(arena, t.bob);
      const second = await deal(arena, t.bob);
      await expectError(await castVote(arena, first.battleId, 'a', t.bob), 404);
      assert.equal((await castVote(arena, second.battleId, 'both_bad', t.bob)).status, 200);
    });

    test('a private arena is invisible to outsiders through every door', async () => {
      const p = await create({ title: 'Hidden', dataset: 'alice/secret-data', private: true });
      assert.equal(p.private, true);
      const d = await deal(p.name, t.alice);
      await expectError(await call(`/${p.name}`, t.bob), 404);
      await expectError(await call(`/${p.name}`, undefined), 404);
      await expectError(await call(`/${p.name}/battles`, t.bob, 'POST', {}), 404);
      await expectError(await castVote(p.name, d.battleId, 'a', t.bob), 404);
      await expectError(await call(`/${p.name}/leaderboard`, t.bob), 404);
      await expectError(await call(`/${p.name}`, t.bob, 'DELETE'), 404);
      assert.ok(!(await json(await call('', t.bob))).some((x: any) => x.name === p.name));
      assert.ok((await json(await call('', t.alice))).some((x: any) => x.name === p.name));
      assert.equal((await fetch(`${hub.url}/arena/${p.name}`)).status, 404);
      assert.equal((await fetch(`${hub.url}/arena/${p.name}/leaderboard`)).status, 404);
      assert.equal((await api(`${hub.url}/arena/${p.name}`, t.alice)).status, 200);
    });

    test('a dataset made private later takes its public arena out of sight of outsiders', async () => {
      assert.equal((await createRepoVia(hub, t.alice, 'soon-private', { type: 'dataset' })).status, 200);
      assert.equal((await commitVia(hub, t.alice, 'alice/soon-private', [fileOp('battles.jsonl', battlesJsonl())], { type: 'datasets' })).status, 200);
      const a = await create({ title: 'Soon hidden', dataset: 'alice/soon-private' });
      assert.equal((await call(`/${a.name}`, t.bob)).status, 200);
      const r = await api(`${hub.url}/api/datasets/alice/soon-private/settings`, t.alice, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ private: true }) });
      assert.equal(r.status, 200, await r.text());
      await expectError(await call(`/${a.name}`, t.bob), 404);
      await expectError(await call(`/${a.name}/battles`, t.bob, 'POST', {}), 404);
      await expectError(await call(`/${a.name}/leaderboard`, undefined), 404);
      assert.ok(!(await json(await call('', t.bob))).some((x: any) => x.name === a.name));
      assert.equal((await call(`/${a.name}`, t.alice)).status, 200);
    });

    test('the per-user vote rate is enforced', async () => {
      const slow = await create({ title: 'Slow', votesPerMinute: 2 });
      for (let i = 0; i < 2; i++) await play(slow.name, t.alice, 'alice', truthful);
      const d = await deal(slow.name, t.alice);
      await expectError(await castVote(slow.name, d.battleId, 'a', t.alice), 429);
      // Per user: bob still may.
      await play(slow.name, t.bob, 'bob', truthful);
    });

    test('ratings: the model that always wins comes first, with intervals; style control; caching by vote count', async () => {
      const lb = await create({ title: 'Ranked', votesPerMinute: 600 });
      const empty = await json(await call(`/${lb.name}/leaderboard`, undefined));
      assert.equal(empty.votes, 0);
      assert.deepEqual(empty.ratings, []);
      for (let i = 0; i < 24; i++) await play(lb.name, t.alice, 'alice', truthful);
      const board = await json(await call(`/${lb.name}/leaderboard`, undefined));
      assert.equal(board.votes, 24);
      assert.deepEqual(board.ratings.map((r: any) => r.model), [STRONG, MID, WEAK]);
      assert.equal(board.ratings.reduce((s: number, r: any) => s + r.battles, 0), 48, 'each vote counts for two models');
      for (const r of board.ratings) {
        assert.ok(r.lo !== null && r.hi !== null && r.lo <= r.rating && r.rating <= r.hi, JSON.stringify(r));
        assert.ok(r.rankLo !== null && r.rankLo <= r.rank && r.rank <= r.rankHi);
      }
      assert.equal(board.styleControlled, null);
      assert.equal(board.voterCap, 0.05);
      await expectError(await call(`/${lb.name}/leaderboard?style=maybe`, undefined), 400);
      await expectError(await call(`/${lb.name}/leaderboard?seed=-1`, undefined), 400);

      const styled = await json(await call(`/${lb.name}/leaderboard?style=1&seed=7`, undefined));
      assert.equal(styled.seed, 7);
      assert.ok(styled.styleControlled, 'style-controlled ratings are there');
      assert.deepEqual(styled.styleControlled.ratings.map((r: any) => r.model).sort(), [STRONG, MID, WEAK].sort());
      assert.ok(styled.styleControlled.coefficients.some((c: any) => c.feature === 'length'));

      // Cached until a new vote: the same answer twice, a new one after a vote.
      const again = await json(await call(`/${lb.name}/leaderboard`, undefined));
      assert.deepEqual(again, board);
      await play(lb.name, t.alice, 'alice', () => 'b');
      const after1 = await json(await call(`/${lb.name}/leaderboard`, undefined));
      assert.equal(after1.votes, 25);
    });

    test('the voter cap: one user voting many times for a weak model moves it less', async () => {
      const cap = await create({ title: 'Capped', votesPerMinute: 600, voterCap: 0.3 });
      const battles: Battle[] = [];
      // Two honest voters, ten votes each; then one of them backs the weak model forty times more.
      // With cap 0.3 and only two voters the cap cannot hold, so both get the same total weight.
      const tokensOf: [string, string][] = [['alice', t.alice], ['bob', t.bob]];
      for (let i = 0; i < 10; i++) for (const [who, tok] of tokensOf) battles.push(await play(cap.name, tok, who, truthful));
      const shill = (a: string, b: string) => (a === WEAK ? 'a' : b === WEAK ? 'b' : 'tie') as 'a' | 'b' | 'tie';
      for (let i = 0; i < 40; i++) {
        const d = await deal(cap.name, t.bob);
        const a = modelOfCode(d.a.answer).model;
        const b = modelOfCode(d.b.answer).model;
        const winner = shill(a, b);
        assert.equal((await castVote(cap.name, d.battleId, winner, t.bob)).status, 200);
        battles.push({ a, b, outcome: winner, voter: 'bob' });
      }
      const board = await json(await call(`/${cap.name}/leaderboard`, undefined));
      assert.equal(board.votes, battles.length);
      assert.ok(board.cappedVoters >= 1, 'bob was capped');
      const weakCapped = board.ratings.find((r: any) => r.model === WEAK).rating;
      // The same battles without the cap, through the library (voter ids differ from the hub's user ids, only grouping matters).
      const uncapped = fitBradleyTerry(battles, {});
      const weakUncapped = uncapped.plain.ratings.find((r) => r.model === WEAK)!.rating;
      assert.ok(weakCapped < weakUncapped - 10, `capped ${weakCapped} < uncapped ${weakUncapped}`);
      // And the API's capped fit is the library's capped fit of the same battles.
      const capped = fitBradleyTerry(battles, { voterCap: 0.3 });
      assert.ok(Math.abs(capped.plain.ratings.find((r) => r.model === WEAK)!.rating - weakCapped) < 1e-6);
    });

    test('delete: only the owner side; then gone', async () => {
      await expectError(await call('/alice/main-arena', t.bob, 'DELETE'), 403);
      await expectError(await call('/alice/main-arena', undefined, 'DELETE'), 401);
      assert.equal((await call('/alice/main-arena', t.alice, 'DELETE')).status, 200);
      await expectError(await call('/alice/main-arena', t.alice), 404);
      await expectError(await call('/alice/main-arena/leaderboard', t.alice), 404);
    });
  });
}
