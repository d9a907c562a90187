/**
 * Dataset exports as background jobs (docs/feedback.md): the request queues the export and waits for
 * it, or answers 202 to poll; who may read an export; a job that fails says why and writes nothing.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { EXPORT_TASK } from '../src/services/export-jobs.js';
import { api, createRepoVia, expectError, headOf, json, startTestHub, testDialects, type TestHub } from './helpers/hub.js';

const MODEL = 'alice/jobs-chat';
const DATASET = 'alice/jobs-feedback';

for (const dialect of testDialects()) {
  describe(`dataset exports run as jobs (${dialect})`, () => {
    let hub: TestHub;
    const post = (url: string, token: string | undefined, body: unknown): Promise<Response> =>
      api(url, token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const feedback = (rest = ''): string => `${hub.url}/api/models/${MODEL}/feedback${rest}`;
    const accepted = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const r = await post(feedback(), hub.tokens.bob, { prompt: `q${i} ${randomUUID()}`, response: `a${i}`, rating: 5, consent: { publish: true } });
        assert.equal(r.status, 201, await r.clone().text());
        const t = await post(feedback(`/${(await json(r)).id}/triage`), hub.tokens.alice, { status: 'accepted' });
        assert.equal(t.status, 200, await t.clone().text());
      }
    };
    const poll = async (url: string, token: string): Promise<any> => {
      for (let i = 0; i < 200; i++) {
        const body = await json(await api(url, token));
        if (body.status === 'done' || body.status === 'failed') return body;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.fail(`export at ${url} did not end`);
    };

    before(async () => {
      hub = await startTestHub({ dialect });
      assert.equal((await createRepoVia(hub, hub.tokens.alice, 'jobs-chat')).status, 200);
    });
    after(async () => {
      await hub?.close();
    });

    test('wait=0 answers 202 with the export to poll; polling gives the result the waiting request would have had', async () => {
      await accepted(3);
      const r = await post(feedback('/export?wait=0'), hub.tokens.alice, { dataset: DATASET });
      assert.equal(r.status, 202, await r.clone().text());
      const queued = await json(r);
      assert.ok(['queued', 'running', 'done'].includes(queued.status), queued.status);
      assert.equal(r.headers.get('location'), queued.url);
      assert.equal(queued.url, `${hub.url}/api/exports/${queued.id}`);
      assert.equal(queued.kind, 'feedback');
      const done = await poll(queued.url, hub.tokens.alice);
      assert.equal(done.status, 'done');
      assert.equal(done.result.exported, 3);
      assert.equal(done.result.dataset, DATASET);
      assert.match(done.result.commit, /^[0-9a-f]{40}$/);
      assert.equal(await headOf(hub, hub.tokens.alice, DATASET, 'main', 'datasets'), done.result.commit);
      // The default waits: nothing new now, answered at once with 200.
      const again = await post(feedback('/export'), hub.tokens.alice, { dataset: DATASET });
      assert.equal(again.status, 200);
      const body = await json(again);
      assert.equal(body.exported, 0);
      assert.equal(body.export.status, 'done');
      assert.notEqual(body.export.id, queued.id);
    });

    test('an export is readable by who asked, writers of its dataset and admins; not by others', async () => {
      await accepted(1);
      const { export: job } = await json(await post(feedback('/export'), hub.tokens.alice, { dataset: DATASET }));
      assert.equal((await api(job.url, hub.tokens.aliceRead)).status, 200, 'the same user through a read token');
      await expectError(await api(job.url), 401);
      await expectError(await api(job.url, hub.tokens.bob), 404);
      await expectError(await api(`${hub.url}/api/exports/${randomUUID()}`, hub.tokens.alice), 404);
      await expectError(await api(`${hub.url}/api/exports/not-an-id`, hub.tokens.alice), 404);
      await expectError(await api(`${hub.url}/api/exports`, hub.tokens.alice), 404);
      await expectError(await api(job.url, hub.tokens.alice, { method: 'DELETE' }), 405);
    });

    test('bad input is refused before anything is queued', async () => {
      const count = async (): Promise<number> => (await hub.running.hub.db.selectFrom('export_jobs').select('id').execute()).length;
      const before = await count();
      for (const wait of ['-1', '1.5', 'soon', '121']) {
        await expectError(await post(feedback(`/export?wait=${wait}`), hub.tokens.alice, { dataset: DATASET }), 400);
      }
      await expectError(await post(feedback('/export'), hub.tokens.alice, { dataset: 'not a repo id' }), 400);
      await expectError(await post(feedback('/export'), hub.tokens.alice, { dataset: DATASET, formats: ['csv'] }), 400);
      await expectError(await post(feedback('/export'), hub.tokens.bob, { dataset: 'bob/steal' }), 403);
      await expectError(await post(feedback('/export'), undefined, { dataset: DATASET }), 401);
      assert.equal(await count(), before);
    });

    test('a job that fails records why, and the dataset is untouched', async () => {
      const datasetHead = await headOf(hub, hub.tokens.alice, DATASET, 'main', 'datasets');
      const model = await hub.running.hub.db.selectFrom('repos').select('id').where('namespace', '=', 'alice').where('name', '=', 'jobs-chat').executeTakeFirstOrThrow();
      const alice = await hub.running.hub.db.selectFrom('users').select('id').where('name', '=', 'alice').executeTakeFirstOrThrow();
      // An export whose target dataset is gone by the time the job runs (deleted after the request was checked).
      const id = randomUUID();
      const now = new Date().toISOString();
      await hub.running.hub.db.insertInto('export_jobs').values({
        id, kind: 'feedback', source_id: model.id, dataset_repo_id: randomUUID(), created_dataset: 0, user_id: alice.id,
        params: JSON.stringify({ formats: ['sft', 'preference'] }), status: 'queued', result: null, created_at: now, updated_at: now,
      }).execute();
      await hub.running.jobs.add(EXPORT_TASK, { id });
      const failed = await poll(`${hub.url}/api/exports/${id}`, hub.tokens.alice);
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error, 'The target dataset was deleted before the export ran');
      assert.equal(failed.errorCode, 'RepoNotFound');
      assert.equal(failed.result, undefined);
      assert.equal(await headOf(hub, hub.tokens.alice, DATASET, 'main', 'datasets'), datasetHead);
      // Run again (a retry, or a crash's requeue): an ended export is not run twice.
      await hub.running.jobs.add(EXPORT_TASK, { id });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal((await poll(`${hub.url}/api/exports/${id}`, hub.tokens.alice)).updatedAt, failed.updatedAt);
    });
  });
}
