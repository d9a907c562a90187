/**
 * Arena votes exported as preference pairs (docs/feedback.md, "Arena votes"),
 * on the real app (both dialects): consent on the vote, which votes make
 * pairs, redaction, provenance with both models and their revisions, the
 * doors that stay shut, idempotence, increments, concurrent exports and a
 * crashed claim. The exported files are downloaded with the real
 * `@huggingface/hub` client and compared with hand-written expectations.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { downloadFile } from '@huggingface/hub';
import { STALE_CLAIM_MS } from '../src/services/dataset-export.js';
import { api, commitVia, createRepoVia, expectError, fileOp, headOf, json, startTestHub, testDialects, type TestHub } from './helpers/hub.js';

/** A public model repo on the hub (its revision is exported), a private one of bob's (alice may not see its commits), and a name that is no repo here. */
const STRONG = 'alice/strong';
const HIDDEN = 'bob/hidden';
const EXT = 'ext/weak';
const DATASET = 'alice/arena-prefs';
const ARENA = 'alice/prefs';

/** Each answer carries a code naming its model and prompt; the texts hold personal data that the export must redact. */
const answerOf = (model: string, id: string): string => `[${model}|${id}] Write to help@${id}.example.com`;
const redactedAnswer = (model: string, id: string): string => `[${model}|${id}] Write to [EMAIL]`;
const PROMPTS: Record<string, { raw: unknown; redacted: { role: string; content: string }[] }> = {
  p1: { raw: 'Call me on +44 20 7946 0958?', redacted: [{ role: 'user', content: 'Call me on [PHONE]?' }] },
  p2: {
    raw: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'My key is AKIAIOSFODNN7EXAMPLE, ok?' }],
    redacted: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'My key is [KEY], ok?' }],
  },
};

function battlesJsonl(): string {
  return Object.entries(PROMPTS)
    .map(([id, p]) => JSON.stringify({ id, prompt: p.raw, outputs: Object.fromEntries([STRONG, HIDDEN, EXT].map((m) => [m, answerOf(m, id)])) }))
    .join('\n') + '\n';
}

const who = (answer: string): { model: string; prompt: string } => {
  const m = /^\[([^|]+)\|(\w+)\]/.exec(answer)!;
  return { model: m[1]!, prompt: m[2]! };
};

for (const dialect of testDialects()) {
  describe(`arena export (${dialect})`, () => {
    let hub: TestHub;
    let strongHead: string;
    let datasetHead: string;
    const call = (path: string, token: string | undefined, body?: unknown): Promise<Response> =>
      api(`${hub.url}/api/arena/${path}`, token, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const exportTo = (dataset: unknown = DATASET, token = hub.tokens.alice, extra: Record<string, unknown> = {}): Promise<Response> =>
      call(`${ARENA}/export`, token, { dataset, ...extra });
    const download = async (path: string): Promise<string | null> => {
      const blob = await downloadFile({ hubUrl: hub.url, accessToken: hub.tokens.alice, repo: { type: 'dataset', name: DATASET }, path });
      return blob ? blob.text() : null;
    };
    const lines = (text: string | null): any[] => {
      assert.ok(text !== null, 'the file exists');
      return text.trimEnd().split('\n').map((l) => JSON.parse(l));
    };

    interface Cast {
      battleId: string;
      prompt: string;
      a: string;
      b: string;
      winner: string;
      publish: boolean;
      votedAt: string | null;
    }
    /** Deals a battle to bob, votes, and says what was behind A and B. */
    const play = async (winner: 'a' | 'b' | 'tie' | 'both_bad', consent: unknown): Promise<Cast> => {
      const d = await json(await call(`${ARENA}/battles`, hub.tokens.bob, {}));
      const r = await call(`${ARENA}/battles/${d.battleId}/vote`, hub.tokens.bob, consent === undefined ? { winner } : { winner, consent });
      assert.equal(r.status, 200, await r.clone().text());
      const v = await json(r);
      const a = who(d.a.answer);
      assert.equal(v.a, a.model);
      assert.equal(v.b, who(d.b.answer).model);
      return { battleId: d.battleId, prompt: a.prompt, a: v.a, b: v.b, winner, publish: v.consent.publish, votedAt: v.consent.at };
    };
    const revisionOf = (model: string): string | null => (model === STRONG ? strongHead : null);
    /** The pair a vote must give, written out from the fixture (not from the export's code). */
    const expectedPair = (c: Cast): unknown => {
      const [win, lose] = c.winner === 'a' ? [c.a, c.b] : [c.b, c.a];
      return {
        prompt: PROMPTS[c.prompt]!.redacted,
        chosen: [{ role: 'assistant', content: redactedAnswer(win, c.prompt) }],
        rejected: [{ role: 'assistant', content: redactedAnswer(lose, c.prompt) }],
        source: 'arena', feedback_id: null, battle_id: c.battleId,
        model: win, model_revision: revisionOf(win), rejected_model: lose, rejected_model_revision: revisionOf(lose),
      };
    };

    before(async () => {
      hub = await startTestHub({ dialect });
      assert.equal((await createRepoVia(hub, hub.tokens.alice, 'strong')).status, 200);
      assert.equal((await commitVia(hub, hub.tokens.alice, STRONG, [fileOp('README.md', '# Strong\n')])).status, 200);
      strongHead = await headOf(hub, hub.tokens.alice, STRONG);
      assert.equal((await createRepoVia(hub, hub.tokens.bob, 'hidden', { organization: 'bob', private: true })).status, 200);
      assert.equal((await createRepoVia(hub, hub.tokens.alice, 'arena-data', { type: 'dataset' })).status, 200);
      assert.equal((await commitVia(hub, hub.tokens.alice, 'alice/arena-data', [fileOp('battles.jsonl', battlesJsonl())], { type: 'datasets' })).status, 200);
      datasetHead = await headOf(hub, hub.tokens.alice, 'alice/arena-data', 'main', 'datasets');
      const r = await call('', hub.tokens.alice, { namespace: 'alice', title: 'Prefs', dataset: 'alice/arena-data', votesPerMinute: 600 });
      assert.equal(r.status, 200, await r.text());
    });
    after(async () => {
      await hub?.close();
    });

    test('consented wins become redacted preference pairs with provenance; ties, "both bad" and unconsented votes do not', async () => {
      // A malformed consent is refused and the battle stays open.
      const d = await json(await call(`${ARENA}/battles`, hub.tokens.bob, {}));
      await expectError(await call(`${ARENA}/battles/${d.battleId}/vote`, hub.tokens.bob, { winner: 'a', consent: true }), 400);
      await expectError(await call(`${ARENA}/battles/${d.battleId}/vote`, hub.tokens.bob, { winner: 'a', consent: { publish: 'yes' } }), 400);

      const exported: Cast[] = [];
      exported.push(await play('a', { publish: true }));
      const tie = await play('tie', { publish: true });
      const bothBad = await play('both_bad', { publish: true });
      const noConsent = await play('b', undefined);
      const declined = await play('a', { publish: false });
      exported.push(await play('b', { publish: true }));
      assert.deepEqual([noConsent.publish, declined.publish, declined.votedAt], [false, false, null]);
      assert.equal(exported[0]!.publish, true);
      assert.ok(!Number.isNaN(Date.parse(exported[0]!.votedAt!)));

      // The doors: anonymous, a read token, someone who cannot edit the arena, a dataset elsewhere, bad bodies.
      await expectError(await call(`${ARENA}/export`, undefined, { dataset: DATASET }), 401);
      await expectError(await exportTo(DATASET, hub.tokens.aliceRead), 403);
      await expectError(await exportTo(DATASET, hub.tokens.bob), 403);
      await expectError(await exportTo('bob/elsewhere'), 400);
      await expectError(await exportTo('not-a-repo-id'), 400);
      await expectError(await exportTo(DATASET, hub.tokens.alice, { formats: ['sft'] }), 400);
      await expectError(await call('alice/no-such-arena/export', hub.tokens.alice, { dataset: DATASET }), 404);
      await expectError(await api(`${hub.url}/api/arena/${ARENA}/export`, hub.tokens.alice), 405);

      const r1 = await exportTo();
      assert.equal(r1.status, 200, await r1.clone().text());
      const { export: job, ...x1 } = await json(r1);
      // The export ran as a job (docs/feedback.md); the request waited for it.
      assert.equal(job.kind, 'arena');
      assert.equal(job.status, 'done');
      assert.equal(job.url, `${hub.url}/api/exports/${job.id}`);
      assert.deepEqual({ ...x1, commit: undefined }, {
        dataset: DATASET, created: true, exported: 2, rows: { preference: 2 }, shard: 0, commit: undefined,
        files: ['data/preference/arena-000000.jsonl', 'provenance/arena-000000.jsonl', 'README.md'],
      });
      assert.match(x1.commit, /^[0-9a-f]{40}$/);
      assert.equal((await json(await api(`${hub.url}/api/datasets/${DATASET}`, hub.tokens.alice))).private, true, 'created private');

      const pairs = lines(await download('data/preference/arena-000000.jsonl'));
      assert.deepEqual(pairs, exported.map(expectedPair));
      const prov = lines(await download('provenance/arena-000000.jsonl'));
      const exportedAt = prov[0].exported_at;
      assert.ok(!Number.isNaN(Date.parse(exportedAt)));
      assert.deepEqual(prov, exported.map((c, line) => {
        const [win, lose] = c.winner === 'a' ? [c.a, c.b] : [c.b, c.a];
        return {
          feedback_id: null, battle_id: c.battleId, source: 'arena',
          model: win, model_revision: revisionOf(win), rejected_model: lose, rejected_model_revision: revisionOf(lose),
          submitted_at: c.votedAt, consent_at: c.votedAt, exported_at: exportedAt, export_id: prov[0].export_id,
          sft: null, preference: { file: 'data/preference/arena-000000.jsonl', line },
          battle: { arena: ARENA, prompt_id: c.prompt, dataset: 'alice/arena-data', dataset_revision: datasetHead, live: false, model_a: c.a, model_b: c.b, winner: c.winner },
        };
      }));
      for (const skipped of [tie, bothBad, noConsent, declined]) assert.ok(!JSON.stringify(prov).includes(skipped.battleId));
      const card = (await download('README.md'))!;
      assert.match(card, /pretty_name: Votes in the arena alice\/prefs/);
      assert.match(card, /- config_name: preference\n {2}data_files:\n {2}- split: train\n {4}path: data\/preference\/\*\.jsonl\n/);
      assert.match(card, /ties\nand "both bad" votes express no preference/);
      const commits = await json(await api(`${hub.url}/api/datasets/${DATASET}/commits/main`, hub.tokens.alice));
      assert.match(commits[0].title, /^Export 2 arena vote\(s\) from alice\/prefs: 2 preference pair\(s\)/);

      // Idempotent: nothing new, no commit.
      const again = await json(await exportTo());
      assert.deepEqual({ exported: again.exported, commit: again.commit, created: again.created }, { exported: 0, commit: null, created: false });
      assert.equal(await headOf(hub, hub.tokens.alice, DATASET, 'main', 'datasets'), x1.commit);

      // Incremental: one new consented win, a new shard; the first is unchanged.
      const next = await play('a', { publish: true });
      const x2 = await json(await exportTo());
      assert.deepEqual([x2.exported, x2.shard], [1, 1]);
      assert.deepEqual(lines(await download('data/preference/arena-000001.jsonl')), [expectedPair(next)]);
      assert.deepEqual(lines(await download('data/preference/arena-000000.jsonl')), pairs);
    });

    test('concurrent exports never duplicate a vote', async () => {
      const cast: Cast[] = [];
      for (let i = 0; i < 6; i++) cast.push(await play(i % 2 ? 'a' : 'b', { publish: true }));
      const results = await Promise.all([exportTo(), exportTo(), exportTo()]);
      const bodies = await Promise.all(results.map(async (r) => ({ status: r.status, body: await json(r) })));
      // Requests that arrive while an export is unfinished join it (one job, one answer for all); together
      // the distinct exports carry every vote once.
      assert.ok(bodies.every((b) => b.status === 200), JSON.stringify(bodies));
      const distinct = new Map(bodies.map((b) => [b.body.export.id, b.body.exported as number]));
      assert.equal([...distinct.values()].reduce((n, e) => n + e, 0), 6);
      const seen: string[] = [];
      for (let shard = 0; ; shard++) {
        const text = await download(`provenance/arena-${String(shard).padStart(6, '0')}.jsonl`);
        if (text === null) break;
        seen.push(...lines(text).map((p) => p.battle_id));
      }
      assert.equal(new Set(seen).size, seen.length, 'no vote is exported twice');
      assert.ok(cast.every((c) => seen.includes(c.battleId)));
    });

    test('a claim left by a crash is settled by the next export; a live one is left alone', async () => {
      const crashed = await play('a', { publish: true });
      const inFlight = await play('b', { publish: true });
      const db = hub.running.hub.db;
      const dataset = await db.selectFrom('repos').select('id').where('full_name_lc', '=', DATASET).where('type', '=', 'dataset').executeTakeFirstOrThrow();
      const arena = await db.selectFrom('arenas').select('id').where('name_lc', '=', ARENA).executeTakeFirstOrThrow();
      const claim = async (id: string, shard: number, battle: string, createdAt: string): Promise<void> => {
        await db.insertInto('arena_exports').values({ id, arena_id: arena.id, dataset_repo_id: dataset.id, shard, status: 'pending', commit_oid: null, preference_rows: 1, created_by: null, created_at: createdAt }).execute();
        await db.insertInto('arena_exported').values({ battle_id: battle, dataset_repo_id: dataset.id, export_id: id }).execute();
      };
      await claim('crashed', 20, crashed.battleId, new Date(Date.now() - STALE_CLAIM_MS - 60_000).toISOString());
      await claim('live', 21, inFlight.battleId, new Date().toISOString());
      const x = await json(await exportTo());
      assert.equal(x.exported, 1);
      assert.equal(x.shard, 22, 'shards held by claims are not reused');
      assert.deepEqual(lines(await download('provenance/arena-000022.jsonl')).map((p) => p.battle_id), [crashed.battleId]);
      assert.equal((await db.selectFrom('arena_exports').select('id').where('id', '=', 'crashed').execute()).length, 0);
      assert.equal((await db.selectFrom('arena_exports').select('status').where('id', '=', 'live').executeTakeFirstOrThrow()).status, 'pending');
    });

    test('feedback and votes share a dataset: separate shards, one card describing both', async () => {
      assert.equal((await createRepoVia(hub, hub.tokens.alice, 'chat')).status, 200);
      const fb = `${hub.url}/api/models/alice/chat/feedback`;
      const post = (url: string, body: unknown): Promise<Response> => api(url, hub.tokens.alice, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const item = await json(await post(fb, { prompt: 'hi', response: 'bad', rating: 1, correction: 'good', consent: { publish: true } }));
      assert.equal((await post(`${fb}/${item.id}/triage`, { status: 'accepted' })).status, 200);
      const x = await json(await post(`${fb}/export`, { dataset: DATASET }));
      assert.deepEqual([x.exported, x.shard], [1, 0]);
      const pref = lines(await download('data/preference/part-000000.jsonl'));
      // The same columns as the arena's pairs, so one `load_dataset` config reads both.
      assert.deepEqual(Object.keys(pref[0]).sort(), Object.keys(lines(await download('data/preference/arena-000000.jsonl'))[0]).sort());
      const fbProv = lines(await download('provenance/part-000000.jsonl'))[0];
      assert.deepEqual(Object.keys(fbProv).sort(), Object.keys(lines(await download('provenance/arena-000000.jsonl'))[0]).sort());
      assert.deepEqual([fbProv.battle_id, fbProv.battle, fbProv.rejected_model], [null, null, 'alice/chat']);
      const card = (await download('README.md'))!;
      assert.match(card, /pretty_name: Feedback and arena votes/);
      assert.match(card, /\[alice\/chat\]\(\/alice\/chat\)/);
      assert.match(card, /\[alice\/prefs\]\(\/arena\/alice\/prefs\)/);
      assert.match(card, /Only feedback whose submitter ticked "publish" is exported\. Only arena votes whose voter ticked/);
    });
  });
}
