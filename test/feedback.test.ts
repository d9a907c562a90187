/**
 * Feedback to data, on the real app (both dialects): submission and its
 * validation, the triage queue's permissions, and the export to a dataset,
 * checked by downloading the exported files with the real `@huggingface/hub`
 * npm client against hand-written expectations.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { downloadFile } from '@huggingface/hub';
import { STALE_CLAIM_MS } from '../src/services/feedback-export.js';
import { api, commitVia, createRepoVia, expectError, fileOp, headOf, json, startTestHub, testDialects, type TestHub } from './helpers/hub.js';

const MODEL = 'alice/chat';
const SECRET = 'alice/secret-model';
const DATASET = 'alice/chat-feedback';

for (const dialect of testDialects()) {
  describe(`feedback (${dialect})`, () => {
    let hub: TestHub;
    let firstCommit: string;
    let head: string;
    const fb = (repo = MODEL, rest = ''): string => `${hub.url}/api/models/${repo}/feedback${rest}`;
    const post = (url: string, token: string | undefined, body: unknown): Promise<Response> =>
      api(url, token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const submit = async (token: string, body: Record<string, unknown>): Promise<any> => {
      const r = await post(fb(), token, body);
      assert.equal(r.status, 201, await r.clone().text());
      return json(r);
    };
    const triage = async (id: string, status: string, labels?: string[]): Promise<any> => {
      const r = await post(fb(MODEL, `/${id}/triage`), hub.tokens.alice, { status, ...(labels ? { labels } : {}) });
      assert.equal(r.status, 200, await r.clone().text());
      return json(r);
    };
    const exportTo = async (dataset = DATASET, token = hub.tokens.alice, extra: Record<string, unknown> = {}): Promise<Response> =>
      post(fb(MODEL, '/export'), token, { dataset, ...extra });
    const download = async (path: string, revision?: string): Promise<string | null> => {
      const blob = await downloadFile({ hubUrl: hub.url, accessToken: hub.tokens.alice, repo: { type: 'dataset', name: DATASET }, path, ...(revision ? { revision } : {}) });
      return blob ? blob.text() : null;
    };
    const lines = (text: string | null): any[] => {
      assert.ok(text !== null, 'the file exists');
      assert.ok(text.endsWith('\n'));
      return text.trimEnd().split('\n').map((l) => JSON.parse(l));
    };
    const valid = { prompt: 'What is 2+2?', response: '4', rating: 5, consent: { publish: true } };

    before(async () => {
      hub = await startTestHub({ dialect });
      assert.equal((await createRepoVia(hub, hub.tokens.alice, 'chat')).status, 200);
      assert.equal((await createRepoVia(hub, hub.tokens.alice, 'secret-model', { private: true })).status, 200);
      firstCommit = await headOf(hub, hub.tokens.alice, MODEL);
      assert.equal((await commitVia(hub, hub.tokens.alice, MODEL, [fileOp('README.md', '# Chat\n')])).status, 200);
      head = await headOf(hub, hub.tokens.alice, MODEL);
    });
    after(async () => {
      await hub?.close();
    });

    test('submission: validated against the schema, signed-in readers only, pinned to a commit', async () => {
      await expectError(await post(fb(), undefined, valid), 401, undefined);
      await expectError(await post(fb(), hub.tokens.aliceRead, valid), 403);
      const bad = async (body: unknown, status: number, match: RegExp): Promise<void> => {
        const e = await expectError(await post(fb(), hub.tokens.bob, body), status);
        if (e) assert.match(e.error, match);
      };
      await bad({ ...valid, rating: 6 }, 400, /rating must be at most 5/);
      await bad({ ...valid, rating: 0 }, 400, /rating must be at least 1/);
      await bad({ ...valid, rating: 'meh' }, 400, /rating must be one of "up", "down"/);
      await bad({ ...valid, rating: 2.5 }, 400, /rating/);
      await bad({ ...valid, categories: ['factual-error', 'boring'] }, 400, /categories\[1\] must be one of/);
      await bad({ ...valid, categories: ['code', 'code'] }, 400, /duplicate/);
      const { consent: _c, ...noConsent } = valid;
      await bad(noConsent, 400, /consent is required/);
      await bad({ ...valid, consent: {} }, 400, /consent\.publish is required/);
      await bad({ ...valid, consent: { publish: 'yes' } }, 400, /consent\.publish must be a boolean/);
      await bad({ ...valid, response: '' }, 400, /response must not be empty/);
      await bad({ ...valid, response: 'x'.repeat(32_001) }, 400, /response is longer than 32000/);
      await bad({ ...valid, prompt: [{ role: 'robot', content: 'hi' }] }, 400, /prompt\[0\]\.role must be one of/);
      await bad({ ...valid, prompt: [{ role: 'system', content: 'be brief' }] }, 400, /non-empty user message/);
      await bad({ ...valid, extra: 1 }, 400, /Unknown field extra/);
      await bad([valid], 400, /body must be an object/);
      await bad('{not json', 400, /not valid JSON/);
      await expectError(await post(fb(), hub.tokens.bob, { ...valid, response: 'y'.repeat(1024 * 1024 + 10) }), 413);
      await expectError(await post(fb(), hub.tokens.bob, { ...valid, modelRevision: 'no-such-branch' }), 404, 'RevisionNotFound');
      // Private models are invisible to others through every door; other repo types have no feedback.
      await expectError(await post(fb(SECRET), hub.tokens.bob, valid), 404, 'RepoNotFound');
      await expectError(await api(fb(SECRET), hub.tokens.bob), 404, 'RepoNotFound');
      await expectError(await api(fb(SECRET, '/export'), undefined, { method: 'POST' }), 401, 'RepoNotFound');
      await expectError(await api(fb(MODEL, '/nope/more/segments'), hub.tokens.alice), 404);
      assert.equal((await createRepoVia(hub, hub.tokens.alice, 'some-data', { type: 'dataset' })).status, 200);
      await expectError(await post(`${hub.url}/api/datasets/alice/some-data/feedback`, hub.tokens.alice, valid), 404);

      const made = await submit(hub.tokens.bob, { ...valid, categories: ['reasoning'], note: 'for the owners' });
      assert.match(made.id, /^[0-9a-f-]{36}$/);
      assert.equal(made.modelRevision, head);
      assert.equal(made.status, 'new');
      assert.deepEqual(made.prompt, [{ role: 'user', content: 'What is 2+2?' }]);
      assert.equal(made.rating, 5);
      assert.deepEqual(made.consent.publish, true);
      assert.equal(made.redacted, undefined, 'only writers get the redacted preview');
      const pinned = await submit(hub.tokens.bob, { ...valid, rating: 'up', modelRevision: firstCommit.slice(0, 10) });
      assert.equal(pinned.modelRevision, firstCommit);
      assert.equal(pinned.rating, 'up');
      const own = await submit(hub.tokens.alice, { ...valid, prompt: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] });
      assert.equal(own.prompt.length, 2);
      // The owner can submit to a private model.
      assert.equal((await post(fb(SECRET), hub.tokens.alice, valid)).status, 201);
    });

    test('triage queue: writers see and triage everything, submitters see their own', async () => {
      await expectError(await api(fb()), 401);
      const bobList = await json(await api(fb(), hub.tokens.bob));
      assert.equal(bobList.total, 2);
      assert.ok(bobList.items.every((i: any) => i.author.name === 'bob' && i.labels === undefined && i.redacted === undefined));
      const all = await json(await api(fb(), hub.tokens.alice));
      assert.equal(all.total, 3);
      assert.ok(all.items.every((i: any) => i.redacted !== undefined));
      const alices = all.items.find((i: any) => i.author.name === 'alice');
      const bobs = bobList.items[0];
      // Someone else's item is a 404, like a missing one.
      await expectError(await api(fb(MODEL, `/${alices.id}`), hub.tokens.bob), 404);
      await expectError(await api(fb(MODEL, '/00000000-0000-0000-0000-000000000000'), hub.tokens.alice), 404);
      assert.equal((await json(await api(fb(MODEL, `/${bobs.id}`), hub.tokens.bob))).id, bobs.id);

      await expectError(await post(fb(MODEL, `/${bobs.id}/triage`), hub.tokens.bob, { status: 'accepted' }), 403);
      await expectError(await post(fb(MODEL, `/${bobs.id}/triage`), hub.tokens.alice, { status: 'maybe' }), 400);
      await expectError(await post(fb(MODEL, `/${bobs.id}/triage`), hub.tokens.alice, { labels: ['no%wild'] }), 400);
      await expectError(await post(fb(MODEL, `/${bobs.id}/triage`), hub.tokens.alice, {}), 400);
      const t = await triage(bobs.id, 'accepted', ['Math', 'good:short']);
      assert.equal(t.status, 'accepted');
      assert.deepEqual(t.labels, ['math', 'good:short']);
      assert.equal(t.triagedBy, 'alice');

      const accepted = await json(await api(fb(MODEL, '?status=accepted'), hub.tokens.alice));
      assert.deepEqual(accepted.items.map((i: any) => i.id), [bobs.id]);
      assert.equal((await json(await api(fb(MODEL, '?label=math'), hub.tokens.alice))).total, 1);
      assert.equal((await json(await api(fb(MODEL, '?label=other'), hub.tokens.alice))).total, 0);
      assert.equal((await json(await api(fb(MODEL, '?status=new'), hub.tokens.bob))).total, 1);
      await expectError(await api(fb(MODEL, '?status=open'), hub.tokens.alice), 400);
      await expectError(await api(fb(MODEL, '?p=-1'), hub.tokens.alice), 400);

      // Deleting: the submitter only while new; writers always.
      await expectError(await api(fb(MODEL, `/${bobs.id}`), hub.tokens.bob, { method: 'DELETE' }), 403);
      const other = bobList.items[1];
      assert.equal((await api(fb(MODEL, `/${other.id}`), hub.tokens.bob, { method: 'DELETE' })).status, 200);
      await expectError(await api(fb(MODEL, `/${other.id}`), hub.tokens.bob), 404);
      assert.equal((await api(fb(MODEL, `/${alices.id}`), hub.tokens.alice, { method: 'DELETE' })).status, 200);
      assert.equal((await api(fb(MODEL, `/${bobs.id}`), hub.tokens.alice, { method: 'DELETE' })).status, 200);
      assert.equal((await json(await api(fb(), hub.tokens.alice))).total, 0);
    });

    test('export: accepted, consented feedback becomes redacted SFT and preference rows with provenance', async () => {
      // A: good answer, an e-mail in the prompt → one SFT row.
      const a = await submit(hub.tokens.bob, { prompt: 'Write to jane@example.org about the launch', response: 'Dear Jane, the launch is on.', rating: 5, consent: { publish: true } });
      // B: bad answer with a key, a correction with a phone number → SFT (the correction) and a preference pair.
      const b = await submit(hub.tokens.bob, {
        prompt: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'How do I reach support?' }],
        response: 'Use the key hf_abcdefghijklmnopqrstuvwxyz0123',
        rating: 'down',
        categories: ['harmful', 'factual-error'],
        correction: 'Call +1 415 555 2671 or open a ticket.',
        consent: { publish: true },
      });
      // C: no consent; D: rejected; E: accepted but neither good nor corrected; F: not triaged yet.
      const c = await submit(hub.tokens.bob, { prompt: 'c', response: 'c', rating: 'up', consent: { publish: false } });
      const d = await submit(hub.tokens.bob, { prompt: 'd', response: 'd', rating: 5, consent: { publish: true } });
      const e = await submit(hub.tokens.bob, { prompt: 'e', response: 'e', rating: 2, consent: { publish: true } });
      const f = await submit(hub.tokens.alice, { prompt: 'From 10.0.0.7, what is up?', response: 'The sky.', rating: 4, modelRevision: firstCommit, consent: { publish: true } });
      await triage(a.id, 'accepted');
      await triage(b.id, 'accepted', ['support']);
      await triage(c.id, 'accepted');
      await triage(d.id, 'rejected');
      await triage(e.id, 'accepted');

      // The triage preview shows what will be published.
      const preview = await json(await api(fb(MODEL, `/${b.id}`), hub.tokens.alice));
      assert.equal(preview.redacted.response, 'Use the key [KEY]');
      assert.equal(preview.redacted.correction, 'Call [PHONE] or open a ticket.');
      assert.deepEqual(preview.redacted.counts, { KEY: 1, PHONE: 1 });
      assert.equal(preview.response, 'Use the key hf_abcdefghijklmnopqrstuvwxyz0123', 'the original is kept for the owners');

      await expectError(await exportTo(DATASET, hub.tokens.bob), 403);
      await expectError(await exportTo('bob/elsewhere'), 400);
      await expectError(await exportTo('not-a-repo-id'), 400);
      await expectError(await exportTo(DATASET, hub.tokens.alice, { formats: ['csv'] }), 400);

      const r1 = await exportTo();
      assert.equal(r1.status, 200, await r1.clone().text());
      const x1 = await json(r1);
      assert.equal(x1.dataset, DATASET);
      assert.equal(x1.created, true);
      assert.equal(x1.exported, 2);
      assert.deepEqual(x1.rows, { sft: 2, preference: 1 });
      assert.equal(x1.shard, 0);
      assert.match(x1.commit, /^[0-9a-f]{40}$/);
      assert.deepEqual([...x1.files].sort(), ['README.md', 'data/preference/part-000000.jsonl', 'data/sft/part-000000.jsonl', 'provenance/part-000000.jsonl']);

      // The dataset is private by default.
      const info = await json(await api(`${hub.url}/api/datasets/${DATASET}`, hub.tokens.alice));
      assert.equal(info.private, true);
      await expectError(await api(`${hub.url}/api/datasets/${DATASET}`, hub.tokens.bob), 404);

      // Downloaded with the real client: rows, redaction, provenance.
      const sft = lines(await download('data/sft/part-000000.jsonl'));
      assert.deepEqual(sft, [
        {
          messages: [{ role: 'user', content: 'Write to [EMAIL] about the launch' }, { role: 'assistant', content: 'Dear Jane, the launch is on.' }],
          feedback_id: a.id, model: MODEL, model_revision: head,
        },
        {
          messages: [
            { role: 'system', content: 'You are terse.' },
            { role: 'user', content: 'How do I reach support?' },
            { role: 'assistant', content: 'Call [PHONE] or open a ticket.' },
          ],
          feedback_id: b.id, model: MODEL, model_revision: head,
        },
      ]);
      const pref = lines(await download('data/preference/part-000000.jsonl'));
      assert.deepEqual(pref, [
        {
          prompt: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'How do I reach support?' }],
          chosen: [{ role: 'assistant', content: 'Call [PHONE] or open a ticket.' }],
          rejected: [{ role: 'assistant', content: 'Use the key [KEY]' }],
          source: 'feedback', feedback_id: b.id, battle_id: null, model: MODEL, model_revision: head, rejected_model: MODEL, rejected_model_revision: head,
        },
      ]);
      const prov = lines(await download('provenance/part-000000.jsonl'));
      assert.equal(prov.length, 2);
      const exportedAt = prov[0].exported_at;
      assert.ok(!Number.isNaN(Date.parse(exportedAt)));
      assert.deepEqual(prov, [
        {
          feedback_id: a.id, battle_id: null, source: 'feedback', model: MODEL, model_revision: head, rejected_model: null, rejected_model_revision: null,
          submitted_at: a.createdAt, consent_at: a.consent.at,
          exported_at: exportedAt, export_id: prov[0].export_id, sft: { file: 'data/sft/part-000000.jsonl', line: 0 }, preference: null, battle: null,
        },
        {
          feedback_id: b.id, battle_id: null, source: 'feedback', model: MODEL, model_revision: head, rejected_model: MODEL, rejected_model_revision: head,
          submitted_at: b.createdAt, consent_at: b.consent.at,
          exported_at: exportedAt, export_id: prov[0].export_id, sft: { file: 'data/sft/part-000000.jsonl', line: 1 },
          preference: { file: 'data/preference/part-000000.jsonl', line: 0 }, battle: null,
        },
      ]);
      const card = (await download('README.md'))!;
      assert.match(card, /configs:\n- config_name: sft\n {2}data_files:\n {2}- split: train\n {4}path: data\/sft\/\*\.jsonl\n- config_name: preference\n/);
      assert.match(card, /Only feedback whose submitter ticked "publish" is exported/);
      const cardData = (await json(await api(`${hub.url}/api/datasets/${DATASET}`, hub.tokens.alice))).cardData;
      assert.deepEqual(cardData.configs.map((c: any) => c.config_name), ['sft', 'preference', 'provenance']);

      // The commit says what it holds; the items know where they went.
      const commits = await json(await api(`${hub.url}/api/datasets/${DATASET}/commits/main`, hub.tokens.alice));
      assert.equal(commits[0].id, x1.commit);
      assert.match(commits[0].title, /^Export 2 feedback item\(s\) from alice\/chat: 2 SFT row\(s\), 1 preference pair\(s\)/);
      assert.match(commits[0].message, new RegExp(`ids ${a.id} … ${b.id}`));
      assert.deepEqual((await json(await api(fb(MODEL, `/${a.id}`), hub.tokens.alice))).exports, [{ dataset: DATASET, commit: x1.commit }]);

      // Idempotent: nothing new, no commit.
      const again = await json(await exportTo());
      assert.deepEqual({ exported: again.exported, commit: again.commit, created: again.created }, { exported: 0, commit: null, created: false });
      assert.equal(await headOf(hub, hub.tokens.alice, DATASET, 'main', 'datasets'), x1.commit);

      // Incremental: F is accepted now; the next export adds only it, in a new shard, and keeps the old ones.
      await triage(f.id, 'accepted');
      const x2 = await json(await exportTo());
      assert.equal(x2.exported, 1);
      assert.equal(x2.shard, 1);
      assert.deepEqual(x2.rows, { sft: 1, preference: 0 });
      assert.deepEqual([...x2.files].sort(), ['README.md', 'data/sft/part-000001.jsonl', 'provenance/part-000001.jsonl']);
      assert.deepEqual(lines(await download('data/sft/part-000001.jsonl')), [
        { messages: [{ role: 'user', content: 'From [IP], what is up?' }, { role: 'assistant', content: 'The sky.' }], feedback_id: f.id, model: MODEL, model_revision: firstCommit },
      ]);
      assert.deepEqual(lines(await download('data/sft/part-000000.jsonl')), sft, 'the first shard is unchanged');
      assert.equal((await download('data/sft/part-000000.jsonl', x1.commit)), await download('data/sft/part-000000.jsonl'));
      assert.equal(lines(await download('provenance/part-000001.jsonl'))[0].feedback_id, f.id);
    });

    test('concurrent exports never duplicate rows', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const item = await submit(hub.tokens.bob, { prompt: `question ${i}`, response: `answer ${i}`, rating: 5, correction: `better ${i}`, consent: { publish: true } });
        await triage(item.id, 'accepted');
        ids.push(item.id);
      }
      const results = await Promise.all([exportTo(), exportTo(), exportTo()]);
      const bodies = await Promise.all(results.map(async (r) => ({ status: r.status, body: await json(r) })));
      // Requests that arrive while an export is unfinished join it (one job, one answer for all); together
      // the distinct exports carry the five items exactly once.
      assert.ok(bodies.every((b) => b.status === 200), JSON.stringify(bodies));
      const distinct = new Map(bodies.map((b) => [b.body.export.id, b.body.exported as number]));
      assert.equal([...distinct.values()].reduce((n, e) => n + e, 0), 5);
      const seen: string[] = [];
      for (let shard = 0; ; shard++) {
        const text = await download(`provenance/part-${String(shard).padStart(6, '0')}.jsonl`);
        if (text === null) break;
        seen.push(...lines(text).map((p) => p.feedback_id));
      }
      assert.equal(new Set(seen).size, seen.length, 'no feedback item is exported twice');
      assert.deepEqual(ids.filter((id) => seen.includes(id)), ids);
      const pref = lines(await download('data/preference/part-000002.jsonl'));
      assert.deepEqual(pref.map((p) => p.chosen[0].content), ['better 0', 'better 1', 'better 2', 'better 3', 'better 4']);
    });

    test('an export interrupted between its claim and its commit is settled by the next one', async () => {
      const item = await submit(hub.tokens.bob, { prompt: 'after a crash', response: 'still here', rating: 'up', consent: { publish: true } });
      await triage(item.id, 'accepted');
      // What a process that died after claiming leaves behind: a pending export holding the item, and no commit.
      const db = hub.running.hub.db;
      const dataset = await db.selectFrom('repos').select('id').where('full_name_lc', '=', DATASET).where('type', '=', 'dataset').executeTakeFirstOrThrow();
      const model = await db.selectFrom('repos').select('id').where('full_name_lc', '=', MODEL).where('type', '=', 'model').executeTakeFirstOrThrow();
      await db.insertInto('feedback_exports').values({
        id: 'crashed-export', model_repo_id: model.id, dataset_repo_id: dataset.id, shard: 3, status: 'pending', commit_oid: null,
        sft_rows: 1, preference_rows: 0, created_by: null, created_at: new Date(Date.now() - STALE_CLAIM_MS - 60_000).toISOString(),
      }).execute();
      await db.insertInto('feedback_exported').values({ feedback_id: item.id, dataset_repo_id: dataset.id, export_id: 'crashed-export' }).execute();
      // A recent claim may be another process's live export: it is left alone, and its item is not exported twice.
      const live = await submit(hub.tokens.bob, { prompt: 'in flight', response: 'elsewhere', rating: 'up', consent: { publish: true } });
      await triage(live.id, 'accepted');
      await db.insertInto('feedback_exports').values({
        id: 'live-export', model_repo_id: model.id, dataset_repo_id: dataset.id, shard: 4, status: 'pending', commit_oid: null,
        sft_rows: 1, preference_rows: 0, created_by: null, created_at: new Date().toISOString(),
      }).execute();
      await db.insertInto('feedback_exported').values({ feedback_id: live.id, dataset_repo_id: dataset.id, export_id: 'live-export' }).execute();
      const x = await json(await exportTo());
      assert.equal(x.exported, 1);
      assert.equal(x.shard, 5, 'shards taken by live claims are not reused');
      assert.deepEqual(lines(await download('provenance/part-000005.jsonl')).map((p) => p.feedback_id), [item.id]);
      assert.equal((await db.selectFrom('feedback_exports').select('id').where('id', '=', 'crashed-export').execute()).length, 0);
      assert.equal((await db.selectFrom('feedback_exports').select('status').where('id', '=', 'live-export').executeTakeFirstOrThrow()).status, 'pending');
    });
  });
}
