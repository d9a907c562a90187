/**
 * Evaluation results as data (docs/evaluations.md), on the real app: a
 * benchmark dataset uploaded with the real @huggingface/hub client, an invalid
 * eval.yaml, results read from cards and .eval_results files, per-sample
 * results posted through the API (inline and from a JSONL file uploaded with
 * the JS client), permissions, privacy, bad input and flags.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { uploadFiles } from '@huggingface/hub';
import { fileResults, modelIndexResults, parseEvalYaml } from '../src/services/evals-index.js';
import { packColumn, unpackColumn } from '../src/services/evals.js';
import { api, commitVia, createRepoVia, expectError, fileOp, headOf, json, startTestHub, testDialects, type TestHub } from './helpers/hub.js';

const N = 10_000;
const ids = Array.from({ length: N }, (_, i) => `q${i}`);
const EVAL_YAML = 'name: Tiny QA\ndescription: Ten thousand questions\ntask: question-answering\nmetric: accuracy\nsplit: test\nhigher_is_better: true\nsamples: data/test.jsonl\n';

describe('eval.yaml and result file parsing', () => {
  test('eval.yaml: defaults, and every problem at once', () => {
    assert.deepEqual(parseEvalYaml('task: qa\nmetric: f1\nsplit: dev\n'), {
      ok: true, def: { name: null, description: null, task: 'qa', metric: 'f1', split: 'dev', samples_path: null, higher_is_better: true },
    });
    assert.equal((parseEvalYaml('task: qa\nmetric: loss\nsplit: dev\nhigher_is_better: false\n') as any).def.higher_is_better, false);
    assert.deepEqual(parseEvalYaml('task: qa\nhigher_is_better: maybe\nsamples: ../x\n'), {
      ok: false, error: 'eval.yaml: "metric" is required; "split" is required; "samples" must be a path inside the repo; "higher_is_better" must be true or false',
    });
    assert.deepEqual(parseEvalYaml('- a\n- b\n'), { ok: false, error: 'eval.yaml must be a YAML mapping' });
    assert.match((parseEvalYaml('task: [\n') as any).error, /^eval.yaml is not valid YAML/);
  });

  test('model-index and .eval_results shapes', () => {
    const mi = modelIndexResults([{ name: 'm', results: [{ task: { type: 'qa' }, dataset: { type: 'alice/bench', name: 'Bench', revision: 'abc' }, metrics: [{ type: 'accuracy', value: '0.5', verified: true }, { type: 'f1', value: '20.0 ± 1.2' }, { value: 3 }] }] }]);
    assert.deepEqual(mi, [{ benchmark: 'alice/bench', benchmark_key: 'alice/bench', benchmark_name: 'Bench', benchmark_revision: 'abc', task: 'qa', metric: 'accuracy', value: 0.5, source_url: null, verified: 1, notes: null }]);
    const hub = fileResults([{ dataset: { id: 'cais/HLE', task_id: 'default', revision: 'r1' }, value: 20.9, source: { url: 'https://x.test/run', name: 'X' }, notes: 'no tools' }]);
    assert.deepEqual(hub, [{ benchmark: 'cais/HLE', benchmark_key: 'cais/hle', benchmark_name: null, benchmark_revision: 'r1', task: 'default', metric: null, value: 20.9, source_url: 'https://x.test/run', verified: 0, notes: 'no tools' }]);
    const flat = fileResults({ benchmark: 'alice/bench', metric: 'accuracy', value: 0.75, revision: 'main', source: 'https://y.test' });
    assert.deepEqual(flat, [{ benchmark: 'alice/bench', benchmark_key: 'alice/bench', benchmark_name: null, benchmark_revision: 'main', task: null, metric: 'accuracy', value: 0.75, source_url: 'https://y.test', verified: 0, notes: null }]);
    assert.deepEqual(fileResults('just text'), []);
    assert.deepEqual(fileResults([{ benchmark: 'a/b', value: 'high' }]), []);
  });

  test('packed columns keep values and absences', () => {
    const packed = packColumn([1.5, undefined, -0, 1e300]);
    assert.deepEqual(unpackColumn(packed, 4), [1.5, undefined, -0, 1e300]);
    assert.equal(packColumn([undefined, undefined]), null);
    assert.deepEqual(unpackColumn(null, 2), [undefined, undefined]);
  });
});

for (const dialect of testDialects()) {
  describe(`evaluations (${dialect})`, () => {
    let hub: TestHub;
    let benchCommit: string;
    type Who = 'anon' | 'alice' | 'aliceRead' | 'bob';
    const tok = (who: Who): string | undefined => (who === 'anon' ? undefined : hub.tokens[who]);
    const get = (who: Who, path: string): Promise<Response> => api(`${hub.url}${path}`, tok(who));
    const post = (who: Who, path: string, body: unknown): Promise<Response> =>
      api(`${hub.url}${path}`, tok(who), { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const ok = async (r: Response): Promise<any> => {
      const text = await r.text();
      assert.equal(r.status, 200, text);
      return JSON.parse(text);
    };
    const repo = async (token: string, ns: string, name: string, files: Record<string, string>, opts: { type?: string; private?: boolean } = {}): Promise<void> => {
      const type = opts.type ?? 'model';
      assert.equal((await createRepoVia(hub, token, name, { organization: ns, type, private: opts.private ?? false })).status, 200);
      const c = await commitVia(hub, token, `${ns}/${name}`, Object.entries(files).map(([p, content]) => fileOp(p, content)), { type: `${type}s` });
      assert.equal(c.status, 200, await c.text());
    };
    /** Scores of one model: the first `correct` of `n` samples right. */
    const samples = (n: number, correct: number, extra = false): unknown[] =>
      ids.slice(0, n).map((id, i) => ({ id, score: i < correct ? 1 : 0, ...(extra ? { costTokens: 100 + i, latencyMs: 5 } : {}) }));

    before(async () => {
      // A small LFS threshold: the samples files go through the blob store, eval.yaml stays a regular file.
      hub = await startTestHub({ dialect, env: { ORCHARD_LFS_THRESHOLD_BYTES: '65536' } });
      const { alice, bob } = hub.tokens;
      // The benchmark, as its author would publish it with the JS client.
      assert.equal((await createRepoVia(hub, alice, 'bench', { type: 'dataset' })).status, 200);
      const up = await uploadFiles({
        hubUrl: hub.url, accessToken: alice, repo: { type: 'dataset', name: 'alice/bench' },
        files: [
          { path: 'eval.yaml', content: new Blob([EVAL_YAML]) },
          { path: 'data/test.jsonl', content: new Blob([ids.map((id) => JSON.stringify({ id, question: `What is ${id}?` })).join('\n') + '\n']) },
        ],
      });
      benchCommit = up!.commit.oid;
      await repo(bob, 'bob', 'badbench', { 'eval.yaml': 'task: qa\nmetric: 3\n' }, { type: 'dataset' });
      await repo(alice, 'alice', 'secret-bench', { 'eval.yaml': 'task: qa\nmetric: exact_match\nsplit: test\n' }, { type: 'dataset', private: true });
      await repo(alice, 'alice', 'card-model', {
        'README.md': [
          '---', 'model-index:', '- name: card-model', '  results:',
          '  - task: {type: question-answering}',
          '    dataset: {type: alice/bench, name: Tiny QA, split: test}',
          '    metrics:', '    - {type: accuracy, value: 0.61, verified: false}', '    - {type: f1, value: 0.58}',
          '  - task: {type: text-classification}',
          '    dataset: {type: imdb, name: IMDb}',
          '    metrics:', '    - {type: accuracy, value: 93.1, verified: true}',
          '---', '# Card model', '',
        ].join('\n'),
      });
      await repo(alice, 'alice', 'file-model', {
        'README.md': '# No card metadata\n',
        '.eval_results/hle.yaml': '- dataset: {id: cais/hle, task_id: default}\n  value: 20.9\n  source: {url: "https://example.org/hle", name: Example}\n',
        '.eval_results/bench.yaml': 'benchmark: alice/bench\nmetric: accuracy\nvalue: 0.7\n',
        '.eval_results/broken.yaml': 'value: [\n',
      });
      await repo(bob, 'bob', 'm3', { 'README.md': '# bob m3\n' });
      await repo(alice, 'alice', 'private-model', { 'README.md': '# secret\n' }, { private: true });
    });

    after(async () => {
      await hub?.close();
    });

    test('a dataset with eval.yaml is a benchmark; an invalid one says why', async () => {
      const b = await ok(await get('anon', '/api/datasets/alice/bench/evals'));
      assert.deepEqual({ ...b, models: undefined }, {
        id: 'alice/bench', revision: benchCommit, valid: true, error: null, name: 'Tiny QA', description: 'Ten thousand questions',
        task: 'question-answering', metric: 'accuracy', split: 'test', higherIsBetter: true, samples: 'data/test.jsonl', models: undefined,
      });
      const bad = await ok(await get('anon', '/api/datasets/bob/badbench/evals'));
      assert.equal(bad.valid, false);
      assert.equal(bad.error, 'eval.yaml: "metric" must be a non-empty string; "split" is required');
      // Not a benchmark at all, private, or not a dataset.
      await expectError(await get('bob', '/api/datasets/bob/nothing-here/evals'), 404, 'RepoNotFound');
      // Anonymous callers hear 401 for a repo they cannot see, as from every other endpoint.
      await expectError(await get('anon', '/api/datasets/alice/secret-bench/evals'), 401, 'RepoNotFound');
      await expectError(await get('bob', '/api/datasets/alice/secret-bench/evals'), 404, 'RepoNotFound');
      assert.equal((await ok(await get('alice', '/api/datasets/alice/secret-bench/evals'))).metric, 'exact_match');
      await expectError(await get('anon', '/api/spaces/alice/bench/evals'), 404);
      // Posting against the invalid benchmark is refused with its error.
      const r = await post('alice', '/api/models/alice/card-model/evals', { benchmark: 'bob/badbench', samples: [{ id: 'a', score: 1 }] });
      assert.match((await expectError(r, 400, 'BadRequest')).error, /invalid eval.yaml/);
    });

    test('a later commit fixes the benchmark; the old definition is kept by revision', async () => {
      const c = await commitVia(hub, hub.tokens.bob, 'bob/badbench', [fileOp('eval.yaml', 'task: qa\nmetric: loss\nsplit: dev\nhigher_is_better: false\n')], { type: 'datasets' });
      assert.equal(c.status, 200);
      const fixed = await ok(await get('anon', '/api/datasets/bob/badbench/evals'));
      assert.equal(fixed.valid, true);
      assert.equal(fixed.higherIsBetter, false);
      assert.equal(fixed.revision, await headOf(hub, undefined, 'bob/badbench', 'main', 'datasets'));
    });

    test('results from a card model-index', async () => {
      const list = await ok(await get('anon', '/api/models/alice/card-model/evals'));
      const head = await headOf(hub, undefined, 'alice/card-model');
      assert.deepEqual(list.map((r: any) => [r.benchmark.id, r.benchmark.onHub, r.metric, r.value, r.source, r.selfReported, r.verified, r.modelRevision === head, r.producer.name, r.benchmark.higherIsBetter]), [
        ['alice/bench', true, 'accuracy', 0.61, 'card', true, false, true, 'alice', true],
        ['alice/bench', true, 'f1', 0.58, 'card', true, false, true, 'alice', true],
        // verified: true in the card: not self-reported (and not reproduced either).
        ['imdb', false, 'accuracy', 93.1, 'card', false, true, true, 'alice', null],
      ]);
      assert.equal(list[0].benchmark.name, 'Tiny QA');
      assert.deepEqual(list.map((r: any) => r.reproduced), [false, false, false]);
    });

    test('results from .eval_results files; a broken file gives none', async () => {
      const list = await ok(await get('anon', '/api/models/alice/file-model/evals'));
      assert.deepEqual(list.map((r: any) => [r.benchmark.id, r.metric, r.value, r.source, r.sourceUrl, r.benchmark.task]), [
        ['alice/bench', 'accuracy', 0.7, 'file:.eval_results/bench.yaml', null, null],
        ['cais/hle', null, 20.9, 'file:.eval_results/hle.yaml', 'https://example.org/hle', 'default'],
      ]);
      // The benchmark lists both models that report on it.
      const b = await ok(await get('anon', '/api/datasets/alice/bench/evals'));
      assert.deepEqual(b.models.map((m: any) => m.id), ['alice/card-model', 'alice/file-model']);
    });

    test('per-sample results through the API: writers self-report, others reproduce', async () => {
      const mine = await ok(await post('alice', '/api/models/alice/card-model/evals', { benchmark: 'alice/bench', samples: samples(200, 150, true), notes: 'greedy decoding' }));
      assert.equal(mine.value, 0.75);
      assert.equal(mine.n, 200);
      assert.equal(mine.selfReported, true);
      assert.equal(mine.reproduced, false);
      assert.equal(mine.source, 'api');
      assert.equal(mine.metric, 'accuracy');
      assert.equal(mine.benchmark.revision, benchCommit);
      assert.equal(mine.modelRevision, await headOf(hub, undefined, 'alice/card-model'));
      assert.equal(mine.producer.name, 'alice');
      assert.equal(mine.notes, 'greedy decoding');

      const theirs = await ok(await post('bob', '/api/models/alice/card-model/evals', { benchmark: 'alice/bench', benchmarkRevision: 'main', modelRevision: 'main', samples: samples(100, 70), reproducedFrom: mine.id }));
      assert.equal(theirs.selfReported, false);
      assert.equal(theirs.reproduced, true);
      assert.equal(theirs.producer.name, 'bob');
      assert.equal(theirs.value, 0.7);
      assert.equal(theirs.reproducedFrom, mine.id);

      // One result with its samples, paged and as JSONL.
      const one = await ok(await get('anon', `/api/models/alice/card-model/evals/${mine.id}?offset=10&limit=2`));
      assert.deepEqual(one.samples, { offset: 10, limit: 2, total: 200, items: [{ id: 'q10', score: 1, costTokens: 110, latencyMs: 5 }, { id: 'q11', score: 1, costTokens: 111, latencyMs: 5 }] });
      const jsonl = await get('anon', `/api/models/alice/card-model/evals/${theirs.id}?format=jsonl`);
      assert.equal(jsonl.status, 200);
      const lines = (await jsonl.text()).trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(lines.length, 100);
      assert.deepEqual(lines[99], { id: 'q99', score: 0 });
      const list = await ok(await get('anon', '/api/models/alice/card-model/evals'));
      assert.equal(list.filter((r: any) => r.source === 'api').length, 2);
    });

    test('revisions are resolved to commits', async () => {
      const first = await headOf(hub, undefined, 'bob/m3');
      const c = await commitVia(hub, hub.tokens.bob, 'bob/m3', [fileOp('notes.txt', 'v2')]);
      assert.equal(c.status, 200);
      const r = await ok(await post('bob', '/api/models/bob/m3/evals', { benchmark: 'alice/bench', modelRevision: first.slice(0, 8), benchmarkRevision: benchCommit, samples: samples(10, 5) }));
      assert.equal(r.modelRevision, first);
      assert.equal(r.benchmark.revision, benchCommit);
      await expectError(await post('bob', '/api/models/bob/m3/evals', { benchmark: 'alice/bench', modelRevision: 'no-such-branch', samples: samples(10, 5) }), 404, 'RevisionNotFound');
      await expectError(await post('bob', '/api/models/bob/m3/evals', { benchmark: 'alice/bench', benchmarkRevision: 'v9', samples: samples(10, 5) }), 404, 'RevisionNotFound');
    });

    test('per-sample scores from a JSONL file uploaded with the JS client', async () => {
      const { bob } = hub.tokens;
      assert.equal((await createRepoVia(hub, bob, 'runs', { organization: 'bob', type: 'dataset' })).status, 200);
      const big = ids.map((id, i) => JSON.stringify({ id, score: i % 4 === 0 ? 1 : 0, costUsd: 0.001, latencyMs: i % 7 })).join('\n') + '\n';
      await uploadFiles({
        hubUrl: hub.url, accessToken: bob, repo: { type: 'dataset', name: 'bob/runs' },
        files: [
          { path: 'm3/all.jsonl', content: new Blob([big]) },
          // CRLF, a blank line, no newline at the end.
          { path: 'm3/small.jsonl', content: new Blob(['{"id":"q1","score":0.5}\r\n\n{"id":"q2","score":1}']) },
          { path: 'm3/one-long-line.jsonl', content: new Blob([`{"id":"q1","score":1,"pad":"${'x'.repeat(70_000)}"}`]) },
          { path: 'm3/broken.jsonl', content: new Blob(['{"id":"q1","score":1}\n{"id":"q2",\n']) },
        ],
      });
      const r = await ok(await post('bob', '/api/models/bob/m3/evals', { benchmark: 'alice/bench', samplesRepo: 'bob/runs', samplesFile: 'm3/all.jsonl' }));
      assert.equal(r.n, N);
      assert.equal(r.value, 0.25);
      assert.equal(r.selfReported, true);
      const page = await ok(await get('anon', `/api/models/bob/m3/evals/${r.id}?offset=${N - 1}`));
      assert.deepEqual(page.samples.items, [{ id: `q${N - 1}`, score: 0, costUsd: 0.001, latencyMs: (N - 1) % 7 }]);
      const small = await ok(await post('alice', '/api/models/bob/m3/evals', { benchmark: 'alice/bench', samplesRepo: 'bob/runs', samplesFile: 'm3/small.jsonl', samplesRevision: 'main' }));
      assert.deepEqual([small.n, small.value, small.reproduced], [2, 0.75, true]);
      await expectError(await post('alice', '/api/models/bob/m3/evals', { benchmark: 'alice/bench', samplesRepo: 'bob/runs', samplesFile: 'm3/none.jsonl' }), 404, 'EntryNotFound');
      const fromFile = async (file: string): Promise<string> => (await expectError(await post('alice', '/api/models/bob/m3/evals', { benchmark: 'alice/bench', samplesRepo: 'bob/runs', samplesFile: file }), 400, 'BadRequest')).error;
      assert.match(await fromFile('m3/one-long-line.jsonl'), /a line is longer than 65536 bytes/);
      assert.match(await fromFile('m3/broken.jsonl'), /m3\/broken.jsonl line 2 is not JSON/);
      await expectError(await post('alice', '/api/models/bob/m3/evals', { benchmark: 'alice/bench', samplesFile: 'm3/small.jsonl' }), 400, 'BadRequest');
    });

    test('who may post: anonymous refused, read tokens refused, private invisible', async () => {
      const body = { benchmark: 'alice/bench', samples: samples(5, 5) };
      await expectError(await post('anon', '/api/models/alice/card-model/evals', body), 401, 'Unauthorized');
      await expectError(await post('aliceRead', '/api/models/alice/card-model/evals', body), 403, 'Forbidden');
      await expectError(await post('bob', '/api/models/alice/private-model/evals', body), 404, 'RepoNotFound');
      await expectError(await get('bob', '/api/models/alice/private-model/evals'), 404, 'RepoNotFound');
      await expectError(await get('anon', '/api/models/alice/private-model/evals'), 401, 'RepoNotFound');
      // A private benchmark is as unknown to others as a missing one.
      await expectError(await post('bob', '/api/models/bob/m3/evals', { benchmark: 'alice/secret-bench', samples: samples(5, 5) }), 404, 'RepoNotFound');
      const priv = await ok(await post('alice', '/api/models/alice/private-model/evals', body));
      assert.equal(priv.selfReported, true);
      await expectError(await get('bob', `/api/models/alice/private-model/evals/${priv.id}`), 404, 'RepoNotFound');
      // The benchmark lists the private model to alice only.
      const forBob = await ok(await get('bob', '/api/datasets/alice/bench/evals'));
      const forAlice = await ok(await get('alice', '/api/datasets/alice/bench/evals'));
      assert.ok(!forBob.models.some((m: any) => m.id === 'alice/private-model'));
      assert.ok(forAlice.models.some((m: any) => m.id === 'alice/private-model'));
      // A result on a private benchmark, posted on a public model, is hidden from those who cannot read the benchmark.
      const onSecret = await ok(await post('alice', '/api/models/alice/file-model/evals', { benchmark: 'alice/secret-bench', samples: [{ id: 'x', score: 1 }] }));
      assert.ok((await ok(await get('alice', '/api/models/alice/file-model/evals'))).some((r: any) => r.id === onSecret.id));
      assert.ok(!(await ok(await get('bob', '/api/models/alice/file-model/evals'))).some((r: any) => r.id === onSecret.id));
      await expectError(await get('bob', `/api/models/alice/file-model/evals/${onSecret.id}`), 404, 'NotFound');
    });

    test('bad input gets 400 with the reason', async () => {
      const p = (body: unknown): Promise<Response> => post('bob', '/api/models/bob/m3/evals', body);
      const reason = async (body: unknown, status = 400): Promise<string> => (await expectError(await p(body), status)).error;
      assert.match(await reason('{"benchmark":"alice/bench","samples":[{"id":"q1","score":1e999}]}'), /samples\[0\]\.score must be a finite number/);
      assert.match(await reason({ benchmark: 'alice/bench', samples: [{ id: 'q1', score: '1' }] }), /score must be a finite number/);
      assert.match(await reason({ benchmark: 'alice/bench', samples: [{ id: 'q1', score: 1 }, { id: 'q1', score: 0 }] }), /"q1" appears twice/);
      assert.match(await reason({ benchmark: 'alice/bench', samples: [{ id: 'q1', score: 1 }, { id: 'zz', score: 0 }] }), /not in the benchmark's data\/test.jsonl, e.g. "zz"/);
      assert.match(await reason({ benchmark: 'alice/bench', samples: [{ id: { x: 1 }, score: 1 }] }), /samples\[0\]\.id must be a non-empty string/);
      assert.match(await reason({ benchmark: 'alice/bench', samples: [{ id: 'q1', score: 1, costTokens: -1 }] }), /costTokens must be a finite number ≥ 0/);
      assert.match(await reason({ benchmark: 'alice/bench', samples: 'all of them' }), /"samples" must be a list/);
      assert.match(await reason({ benchmark: 'alice/bench', samples: [] }), /at least one sample/);
      assert.match(await reason({ benchmark: 'alice/bench' }), /either "samples"/);
      assert.match(await reason({ benchmark: 7, samples: [] }), /"benchmark" \(a dataset id\) is required/);
      assert.match(await reason({ benchmark: 'just-a-name', samples: [{ id: 'q1', score: 1 }] }), /dataset id "namespace\/name"/);
      assert.match(await reason({ benchmark: 'alice/bench', notes: 5, samples: [{ id: 'q1', score: 1 }] }), /"notes" must be a non-empty string/);
      assert.match(await reason([1, 2]), /must be a JSON object/);
      assert.match(await reason('{not json'), /not valid JSON/);
      // Too many samples (the cap is 50,000), and unknown benchmarks.
      const tooMany = Array.from({ length: 50_001 }, (_, i) => ({ id: `s${i}`, score: 1 }));
      assert.match(await reason({ benchmark: 'bob/badbench', samples: tooMany }), /Too many samples: at most 50000/);
      await expectError(await p({ benchmark: 'nobody/nothing', samples: [{ id: 'q1', score: 1 }] }), 404, 'RepoNotFound');
      await expectError(await p({ benchmark: 'bob/runs', samples: [{ id: 'q1', score: 1 }] }), 400, 'BadRequest'); // a dataset without eval.yaml
      await expectError(await api(`${hub.url}/api/models/bob/m3/evals`, hub.tokens.bob, { method: 'PUT' }), 405, 'MethodNotAllowed');
      await expectError(await get('anon', '/api/models/bob/m3/evals/0123456789abcdef'), 404, 'NotFound');
      await expectError(await get('anon', '/api/models/bob/m3/evals/nope'), 404, 'NotFound');
      await expectError(await get('anon', '/api/models/bob/m3/evals/0123456789abcdef/other'), 404, 'NotFound');
    });

    test('a deleted benchmark leaves its results, shown as external', async () => {
      await repo(hub.tokens.bob, 'bob', 'temp-bench', { 'eval.yaml': 'task: qa\nmetric: accuracy\nsplit: test\n' }, { type: 'dataset' });
      const r = await ok(await post('bob', '/api/models/bob/m3/evals', { benchmark: 'bob/temp-bench', samples: [{ id: 'a', score: 1 }, { id: 'b', score: 0 }] }));
      assert.deepEqual([r.benchmark.onHub, r.value, r.benchmark.higherIsBetter], [true, 0.5, true]);
      const del = await api(`${hub.url}/api/repos/delete`, hub.tokens.bob, { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'temp-bench', organization: 'bob', type: 'dataset' }) });
      assert.equal(del.status, 200, await del.text());
      const after = (await ok(await get('anon', '/api/models/bob/m3/evals'))).find((x: any) => x.id === r.id);
      assert.deepEqual([after.benchmark.id, after.benchmark.onHub, after.benchmark.higherIsBetter, after.value, after.n], ['bob/temp-bench', false, null, 0.5, 2]);
    });

    test('flags by writers; deletion by the producer or an admin', async () => {
      const list = await ok(await get('anon', '/api/models/alice/card-model/evals'));
      const bobs = list.find((r: any) => r.producer.name === 'bob');
      const card = list.find((r: any) => r.source === 'card' && r.metric === 'f1');
      const flagUrl = (id: string): string => `/api/models/alice/card-model/evals/${id}/flags`;
      await expectError(await post('bob', flagUrl(card.id), { contaminated: true, note: 'seen in training' }), 403, 'Forbidden');
      await expectError(await post('anon', flagUrl(card.id), { contaminated: true, note: 'x' }), 401, 'Unauthorized');
      await expectError(await post('alice', flagUrl(card.id), { contaminated: 'yes', note: 'x' }), 400, 'BadRequest');
      await expectError(await post('alice', flagUrl(card.id), { contaminated: true }), 400, 'BadRequest');
      const flagged = await ok(await post('alice', flagUrl(card.id), { contaminated: true, note: 'The test set leaked into pretraining' }));
      assert.deepEqual({ ...flagged.flags, at: undefined }, { contaminated: true, unverified: false, note: 'The test set leaked into pretraining', by: 'alice', at: undefined });
      const unv = await ok(await post('alice', flagUrl(bobs.id), { unverified: true, note: '' }));
      assert.equal(unv.flags.unverified, true);
      // A new commit re-reads the card; the flag stays on the same result.
      assert.equal((await commitVia(hub, hub.tokens.alice, 'alice/card-model', [fileOp('extra.txt', 'x')])).status, 200);
      const again = (await ok(await get('anon', '/api/models/alice/card-model/evals'))).find((r: any) => r.source === 'card' && r.metric === 'f1');
      assert.equal(again.flags.contaminated, true);
      assert.equal(again.modelRevision, await headOf(hub, undefined, 'alice/card-model'));

      const del = (who: Who, id: string): Promise<Response> => api(`${hub.url}/api/models/alice/card-model/evals/${id}`, tok(who), { method: 'DELETE' });
      await expectError(await del('alice', again.id), 400, 'BadRequest'); // card results go with the card
      const mine = list.find((r: any) => r.producer.name === 'alice' && r.source === 'api');
      await expectError(await del('bob', mine.id), 403, 'Forbidden');
      await expectError(await del('anon', bobs.id), 401, 'Unauthorized');
      assert.deepEqual(await ok(await del('bob', bobs.id)), { deleted: bobs.id });
      assert.deepEqual(await ok(await del('alice', mine.id)), { deleted: mine.id });
      await expectError(await get('anon', `/api/models/alice/card-model/evals/${mine.id}`), 404, 'NotFound');
      assert.equal((await ok(await get('anon', '/api/models/alice/card-model/evals'))).filter((r: any) => r.source === 'api').length, 0);
    });
  });
}
