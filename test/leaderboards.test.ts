/**
 * Leaderboards (docs/leaderboards.md) on the real app, both dialects: a
 * benchmark uploaded with @huggingface/hub, per-sample results for six models
 * posted through the API, a leaderboard over them checked against numbers
 * worked out by hand (Wilson intervals of 0/1 scores, the Pareto front of
 * aggregate × cost), the family view through `base_model` cards, a private
 * model left out entirely, flags, the cache (hit, and invalidation by a new
 * result and by a flag), permissions and bad input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { uploadFiles } from '@huggingface/hub';
import { api, commitVia, createRepoVia, expectError, fileOp, startTestHub, testDialects, type TestHub } from './helpers/hub.js';

const N = 20;
const ids = Array.from({ length: N }, (_, i) => `q${i}`);

/** The 95% Wilson score interval, written out (z = Φ⁻¹(0.975)). */
function wilson(k: number, n: number): [number, number] {
  const z = 1.959963984540054;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z / d) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [c - h, c + h];
}

for (const dialect of testDialects()) {
  describe(`leaderboards (${dialect})`, () => {
    let hub: TestHub;
    type Who = 'anon' | 'alice' | 'bob';
    const tok = (who: Who): string | undefined => (who === 'anon' ? undefined : hub.tokens[who]);
    const call = (who: Who, method: string, path: string, body?: unknown): Promise<Response> =>
      api(`${hub.url}${path}`, tok(who), body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const ok = async (r: Response): Promise<any> => {
      const text = await r.text();
      assert.equal(r.status, 200, text);
      return JSON.parse(text);
    };
    const model = async (who: 'alice' | 'bob', name: string, readme: string, isPrivate = false): Promise<void> => {
      assert.equal((await createRepoVia(hub, hub.tokens[who], name, { organization: who, private: isPrivate })).status, 200);
      const c = await commitVia(hub, hub.tokens[who], `${who}/${name}`, [fileOp('README.md', readme)]);
      assert.equal(c.status, 200, await c.text());
    };
    /** 0/1 scores, the first `correct` right, each sample costing `cost` dollars. */
    const binary = (correct: number, cost: number): unknown[] => ids.map((id, i) => ({ id, score: i < correct ? 1 : 0, costUsd: cost, latencyMs: 100 * cost }));
    const postResult = async (who: Who, modelId: string, samples: unknown[]): Promise<string> =>
      (await ok(await call(who, 'POST', `/api/models/${modelId}/evals`, { benchmark: 'alice/qa', samples }))).id;
    const results = async (who: Who, query = ''): Promise<{ body: any; cache: string | null }> => {
      const r = await call(who, 'GET', `/api/leaderboards/alice/qa-board/results${query}`);
      const cache = r.headers.get('x-orchard-cache');
      return { body: await ok(r), cache };
    };
    const byId = (body: any): Record<string, any> => Object.fromEntries(body.models.map((m: any) => [m.id, m]));

    before(async () => {
      hub = await startTestHub({ dialect });
      const { alice } = hub.tokens;
      assert.equal((await createRepoVia(hub, alice, 'qa', { type: 'dataset' })).status, 200);
      await uploadFiles({
        hubUrl: hub.url, accessToken: alice, repo: { type: 'dataset', name: 'alice/qa' },
        files: [
          { path: 'eval.yaml', content: new Blob(['name: Tiny QA\ntask: question-answering\nmetric: accuracy\nsplit: test\nhigher_is_better: true\nsamples: test.jsonl\n']) },
          { path: 'test.jsonl', content: new Blob([ids.map((id) => JSON.stringify({ id })).join('\n') + '\n']) },
        ],
      });
      assert.equal((await createRepoVia(hub, alice, 'secret-bench', { type: 'dataset', private: true })).status, 200);
      assert.equal((await commitVia(hub, alice, 'alice/secret-bench', [fileOp('eval.yaml', 'task: qa\nmetric: em\nsplit: test\n')], { type: 'datasets' })).status, 200);
      // A family: base ← ft1 ← ft2, through the cards' base_model.
      await model('alice', 'base', '# base\n');
      await model('alice', 'ft1', '---\nbase_model: alice/base\n---\n# ft1\n');
      await model('alice', 'ft2', '---\nbase_model: alice/ft1\n---\n# ft2\n');
      await model('bob', 'm1', '# m1\n');
      await model('bob', 'm2', '# m2\n');
      await model('alice', 'secret', '# secret\n', true);
      // (accuracy, $ per sample): base (.5, 1), ft1 (.75, 2), ft2 (.9, 4), m1 (.25, 1), m2 (.75, 3), secret (1, 1).
      await postResult('alice', 'alice/base', binary(10, 1));
      await postResult('alice', 'alice/ft1', binary(15, 2));
      await postResult('alice', 'alice/ft2', binary(18, 4));
      await postResult('alice', 'bob/m1', binary(5, 1)); // reproduced by alice
      await postResult('bob', 'bob/m2', binary(15, 3));
      await postResult('alice', 'alice/secret', binary(20, 1));
    });

    after(async () => {
      await hub?.close();
    });

    test('create, read, list; bad input and permissions', async () => {
      const lb = await ok(await call('alice', 'POST', '/api/leaderboards', { slug: 'qa-board', title: 'QA board', description: 'Tiny **QA**', benchmarks: ['alice/qa'], models: { allWithResults: true }, objectives: ['aggregate', 'cost', 'latency', 'alice/qa'] }));
      assert.equal(lb.id, 'alice/qa-board');
      assert.deepEqual(lb.benchmarks, [{ id: 'alice/qa', weight: 1 }]);
      assert.deepEqual(lb.objectives, ['aggregate', 'cost', 'latency', 'alice/qa']);
      assert.equal(lb.results, 'both');
      assert.deepEqual((await ok(await call('anon', 'GET', '/api/leaderboards?owner=alice'))).map((x: any) => x.id), ['alice/qa-board']);
      assert.equal((await ok(await call('anon', 'GET', '/api/leaderboards/alice/qa-board'))).title, 'QA board');

      await expectError(await call('anon', 'POST', '/api/leaderboards', { slug: 'x', title: 'X', benchmarks: ['alice/qa'] }), 401);
      await expectError(await call('alice', 'POST', '/api/leaderboards', { slug: 'qa-board', title: 'Again', benchmarks: ['alice/qa'] }), 409);
      await expectError(await call('alice', 'POST', '/api/leaderboards', { slug: 'Bad Slug!', title: 'X', benchmarks: ['alice/qa'] }), 400);
      const unknown = await expectError(await call('alice', 'POST', '/api/leaderboards', { slug: 'x', title: 'X', benchmarks: ['alice/nope'] }), 400);
      assert.match(unknown.error, /unknown benchmark "alice\/nope"/);
      // bob cannot read alice's private benchmark: to him it is unknown, exactly like a missing one.
      const hidden = await expectError(await call('bob', 'POST', '/api/leaderboards', { slug: 'x', title: 'X', benchmarks: ['alice/secret-bench'] }), 400);
      assert.match(hidden.error, /unknown benchmark "alice\/secret-bench"/);
      await expectError(await call('alice', 'POST', '/api/leaderboards', { slug: 'x', title: 'X', benchmarks: ['alice/qa'], objectives: ['speed'] }), 400);
      await expectError(await call('alice', 'POST', '/api/leaderboards', { slug: 'x', title: 'X', benchmarks: [] }), 400);
      await expectError(await call('bob', 'POST', '/api/leaderboards', { namespace: 'alice', slug: 'x', title: 'X', benchmarks: ['alice/qa'] }), 403);
      await expectError(await call('bob', 'PATCH', '/api/leaderboards/alice/qa-board', { title: 'Mine' }), 403);
      await expectError(await call('bob', 'DELETE', '/api/leaderboards/alice/qa-board'), 403);
      await expectError(await call('anon', 'GET', '/api/leaderboards/alice/nope'), 404);
      await expectError(await call('anon', 'GET', '/api/leaderboards/alice/qa-board/results?pareto=aggregate,speed'), 400);
      await expectError(await call('anon', 'GET', '/api/leaderboards/alice/qa-board/results?pareto=aggregate'), 400);
      await expectError(await call('anon', 'GET', '/api/leaderboards/alice/qa-board/results?seed=-1'), 400);
      await expectError(await call('anon', 'GET', '/api/leaderboards/alice/qa-board/results?family=alice/nope'), 400);

      // A private leaderboard: missing to others, listed to its owner.
      await ok(await call('alice', 'POST', '/api/leaderboards', { slug: 'hidden', title: 'Hidden', private: true, benchmarks: ['alice/qa', 'alice/secret-bench'] }));
      await expectError(await call('bob', 'GET', '/api/leaderboards/alice/hidden'), 404);
      await expectError(await call('anon', 'GET', '/api/leaderboards/alice/hidden/results'), 404);
      assert.deepEqual((await ok(await call('bob', 'GET', '/api/leaderboards?owner=alice'))).map((x: any) => x.id), ['alice/qa-board']);
      assert.equal((await ok(await call('alice', 'GET', '/api/leaderboards?owner=alice'))).length, 2);
      // Made public, its private benchmark stays out of what bob sees of the definition.
      await ok(await call('alice', 'PATCH', '/api/leaderboards/alice/hidden', { private: false }));
      const seen = await ok(await call('bob', 'GET', '/api/leaderboards/alice/hidden'));
      assert.deepEqual(seen.benchmarks, [{ id: 'alice/qa', weight: 1 }]);
      assert.ok(!JSON.stringify(await ok(await call('bob', 'GET', '/api/leaderboards/alice/hidden/results'))).includes('secret'));
      await ok(await call('alice', 'DELETE', '/api/leaderboards/alice/hidden'));
      await expectError(await call('alice', 'GET', '/api/leaderboards/alice/hidden'), 404);
    });

    test('the table: Wilson intervals, rank intervals, Pareto front, flags; a private model left out', async () => {
      const { body } = await results('bob', '?pareto=aggregate,cost');
      const m = byId(body);
      // bob cannot read alice/secret: not shown, not counted, not named anywhere.
      assert.deepEqual(Object.keys(m).sort(), ['alice/base', 'alice/ft1', 'alice/ft2', 'bob/m1', 'bob/m2']);
      assert.ok(!JSON.stringify(body).includes('secret'));
      const expected: Record<string, [number, number]> = { 'alice/base': [10, 1], 'alice/ft1': [15, 2], 'alice/ft2': [18, 4], 'bob/m1': [5, 1], 'bob/m2': [15, 3] };
      for (const [id, [k, cost]] of Object.entries(expected)) {
        const c = m[id].cells['alice/qa'];
        const [lo, hi] = wilson(k, N);
        assert.equal(c.method, 'wilson');
        assert.equal(c.n, N);
        assert.ok(Math.abs(c.mean - k / N) < 1e-12);
        assert.ok(Math.abs(c.lo - lo) < 1e-9, `${id} lo ${c.lo} vs ${lo}`);
        assert.ok(Math.abs(c.hi - hi) < 1e-9, `${id} hi ${c.hi} vs ${hi}`);
        assert.ok(c.rankLo <= c.rank && c.rank <= c.rankHi && c.rankLo >= 1 && c.rankHi <= 5);
        assert.ok(Math.abs(m[id].cost - cost) < 1e-12);
        assert.ok(Math.abs(m[id].latency - 100 * cost) < 1e-9);
        // One benchmark: the aggregate is the score mapped to [0, 1] between worst (.25) and best (.9).
        assert.ok(Math.abs(m[id].aggregate.score - (k / N - 0.25) / 0.65) < 1e-12);
      }
      // Ranks by accuracy: ft2 1st; ft1 and m2 tie at .75; m1 last.
      assert.equal(m['alice/ft2'].cells['alice/qa'].rank, 1);
      assert.equal(m['bob/m1'].cells['alice/qa'].rank, 5);
      assert.equal(body.models[0].id, 'alice/ft2');
      assert.equal(body.models[4].id, 'bob/m1');
      // (aggregate max, cost min): base beats m1 (same cost, better), ft1 beats m2 (same score, cheaper).
      assert.deepEqual([...body.pareto.front].sort(), ['alice/base', 'alice/ft1', 'alice/ft2']);
      assert.deepEqual([...body.pareto.dominated].sort(), ['bob/m1', 'bob/m2']);
      assert.deepEqual(body.pareto.objectives, [{ name: 'aggregate', direction: 'max' }, { name: 'cost', direction: 'min' }]);
      assert.equal(m['bob/m2'].pareto, false);
      assert.equal(m['alice/ft1'].pareto, true);
      assert.match(body.benchmarks[0].rankLabel, /paired bootstrap, B = 1000, seed 1/);
      // Flags: results posted by the model's writers are self-reported; alice's run of bob/m1 is reproduced.
      assert.equal(m['alice/base'].cells['alice/qa'].flags.selfReported, true);
      assert.equal(m['bob/m2'].cells['alice/qa'].flags.selfReported, true);
      assert.equal(m['bob/m1'].cells['alice/qa'].flags.selfReported, false);

      // alice reads her private model: it comes first, and the others' ranks move down.
      const mine = byId((await results('alice', '?pareto=aggregate,cost')).body);
      assert.equal(mine['alice/secret'].cells['alice/qa'].rank, 1);
      assert.equal(mine['alice/ft2'].cells['alice/qa'].rank, 2);
      assert.deepEqual(mine['alice/secret'].pareto, true);

      // Three objectives.
      const three = (await results('bob', '?pareto=aggregate,cost,latency')).body;
      assert.equal(three.pareto.objectives.length, 3);
      assert.deepEqual([...three.pareto.front].sort(), ['alice/base', 'alice/ft1', 'alice/ft2']);
    });

    test('the family view follows the model tree', async () => {
      const { body } = await results('bob', '?family=alice/base&pareto=aggregate,cost');
      assert.equal(body.family, 'alice/base');
      assert.deepEqual(body.models.map((x: any) => x.id).sort(), ['alice/base', 'alice/ft1', 'alice/ft2']);
      // Ranks are among the family: ft2 first, base last.
      const m = byId(body);
      assert.equal(m['alice/ft2'].cells['alice/qa'].rank, 1);
      assert.equal(m['alice/base'].cells['alice/qa'].rank, 3);
      const sub = (await results('bob', '?family=alice/ft1')).body;
      assert.deepEqual(sub.models.map((x: any) => x.id).sort(), ['alice/ft1', 'alice/ft2']);
      // A leaderboard defined by a family alone.
      await ok(await call('alice', 'POST', '/api/leaderboards', { slug: 'fam', title: 'Family', benchmarks: ['alice/qa'], models: { allWithResults: false, family: 'alice/ft1' } }));
      const fam = await ok(await call('anon', 'GET', '/api/leaderboards/alice/fam/results'));
      assert.deepEqual(fam.models.map((x: any) => x.id).sort(), ['alice/ft1', 'alice/ft2']);
      // Self-reported only: alice's run of bob/m1 drops out.
      await ok(await call('alice', 'PATCH', '/api/leaderboards/alice/fam', { models: { allWithResults: true, family: null }, results: 'self-reported' }));
      const self = await ok(await call('bob', 'GET', '/api/leaderboards/alice/fam/results'));
      assert.deepEqual(self.models.map((x: any) => x.id).sort(), ['alice/base', 'alice/ft1', 'alice/ft2', 'bob/m2']);
    });

    test('cached until the data changes: a hit when unchanged, a miss after a new result or a flag', async () => {
      const first = await results('bob', '?pareto=aggregate,cost&seed=7');
      const again = await results('bob', '?pareto=aggregate,cost&seed=7');
      assert.equal(again.cache, 'hit');
      assert.deepEqual(again.body.models, first.body.models);
      // Another seed is another computation.
      assert.equal((await results('bob', '?pareto=aggregate,cost&seed=8')).cache, 'miss');

      // bob reruns m1: the newer per-sample result replaces the old one.
      await postResult('bob', 'bob/m1', binary(19, 1));
      const after = await results('bob', '?pareto=aggregate,cost&seed=7');
      assert.equal(after.cache, 'miss');
      const m = byId(after.body);
      assert.ok(Math.abs(m['bob/m1'].cells['alice/qa'].mean - 19 / N) < 1e-12);
      assert.equal(m['bob/m1'].cells['alice/qa'].flags.selfReported, true);
      // m1 (.95, $1) now dominates every other model.
      assert.deepEqual(after.body.pareto.front, ['bob/m1']);
      assert.equal((await results('bob', '?pareto=aggregate,cost&seed=7')).cache, 'hit');

      // A flag set by m2's maintainer shows on its cell and invalidates the cache.
      const m2 = m['bob/m2'].cells['alice/qa'].resultId;
      await ok(await call('bob', 'POST', `/api/models/bob/m2/evals/${m2}/flags`, { contaminated: true, note: 'test set leaked' }));
      const flagged = await results('bob', '?pareto=aggregate,cost&seed=7');
      assert.equal(flagged.cache, 'miss');
      assert.equal(byId(flagged.body)['bob/m2'].cells['alice/qa'].flags.contaminated, true);
      assert.equal(byId(flagged.body)['bob/m1'].cells['alice/qa'].flags.contaminated, false);
    });

    test('pages: list and leaderboard with intervals, rank intervals and the Pareto chart', async () => {
      const list = await (await call('anon', 'GET', '/leaderboards')).text();
      assert.match(list, /href="\/leaderboards\/alice\/qa-board"/);
      const r = await call('anon', 'GET', '/leaderboards/alice/qa-board?pareto=aggregate&pareto=cost&pareto=');
      const page = await r.text();
      assert.equal(r.status, 200, page);
      assert.match(page, /<svg class="pareto-chart"/);
      assert.match(page, /<title id="pareto-title">Pareto front: aggregate × cost<\/title>/);
      // After the rerun above, bob/m1 alone is non-dominated.
      assert.match(page, /data-model="bob\/m1" data-front="1"/);
      assert.match(page, /data-model="alice\/ft2" data-front="0"/);
      assert.match(page, /data-model="bob\/m2" data-front="0"/);
      assert.match(page, /Wilson score interval/);
      assert.match(page, /0\.900 \[0\.[0-9]+, 0\.[0-9]+\]/);
      assert.match(page, /rank [0-9]+(–[0-9]+)?/);
      assert.match(page, /contaminated<\/span>/);
      assert.ok(!page.includes('secret'));
      assert.equal((await call('anon', 'GET', '/leaderboards/alice/nope')).status, 404);
      assert.equal((await call('anon', 'GET', '/leaderboards/alice/qa-board?pareto=aggregate,nope')).status, 400);
    });
  });
}
