/**
 * Live arenas on the real app (both dialects) against a real OpenAI-compatible
 * server on loopback: endpoints registered per model by the arena's admins
 * (key stored, never returned), the SSRF guard refusing loopback until
 * private targets are allowed, battles whose answers come from the endpoints,
 * and endpoints that fail, redirect, cut the answer or never answer (502).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setArenaLiveOptions } from '../src/services/arena-live.js';
import { api, commitVia, createRepoVia, expectError, fileOp, json, startTestHub, testDialects, type TestHub } from './helpers/hub.js';

interface Seen {
  path: string;
  auth: string | undefined;
  body: { model: string; messages: { role: string; content: string }[] };
}

/**
 * A small OpenAI-compatible server: answers `[remote-model] last message` (a slash in the name written as a colon, so that
 * names in answers are not mistaken for a leak), fails for "broken", sends 300 KiB for "huge", redirects "moved" to a path
 * that would answer, cuts the connection mid-answer for "cut", never answers "hang".
 */
async function fakeOpenAi(): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = JSON.parse(raw) as Seen['body'];
    seen.push({ path: req.url ?? '', auth: req.headers.authorization, body });
    if (body.model === 'broken') {
      res.writeHead(500).end('{"error": "down"}');
      return;
    }
    if (body.model === 'huge') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ message: { content: 'x'.repeat(300 * 1024) } }] }));
      return;
    }
    if (body.model === 'moved') {
      res.writeHead(307, { location: '/elsewhere/v1/chat/completions' }).end();
      return;
    }
    if (body.model === 'cut') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"choices": [');
      setImmediate(() => res.destroy());
      return;
    }
    if (body.model === 'hang') {
      hanging.push(res);
      return;
    }
    const last = body.messages[body.messages.length - 1]!.content;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: `**[${body.model.replace('/', ':')}]** ${last}` } }] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    async close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

for (const dialect of testDialects()) {
  describe(`arena, live endpoints (${dialect})`, () => {
    let hub: TestHub;
    let t: TestHub['tokens'];
    let llm: Awaited<ReturnType<typeof fakeOpenAi>>;
    const call = (path: string, token: string | undefined, method = 'GET', body?: unknown) =>
      api(`${hub.url}/api/arena${path}`, token, body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const ARENA = '/alice/live';
    const ep = (path = '') => `${ARENA}/endpoints${path}`;

    before(async () => {
      hub = await startTestHub({ dialect });
      t = hub.tokens;
      llm = await fakeOpenAi();
      assert.equal((await createRepoVia(hub, t.alice, 'prompts', { type: 'dataset' })).status, 200);
      const lines = ['{"id": "q1", "prompt": "Say hi"}', '{"id": "q2", "prompt": [{"role": "user", "content": "Say bye"}]}'];
      assert.equal((await commitVia(hub, t.alice, 'alice/prompts', [fileOp('battles.jsonl', lines.join('\n'))], { type: 'datasets' })).status, 200);
      const r = await call('', t.alice, 'POST', { title: 'Live', dataset: 'alice/prompts', live: true, votesPerMinute: 600 });
      assert.equal(r.status, 200, await r.clone().text());
      const a = await json(r);
      assert.equal(a.live, true);
      assert.equal(a.prompts, 2);
    });
    after(async () => {
      await llm?.close();
      await hub?.close();
    });

    test('registering endpoints: admins only, the SSRF guard, the key never returned', async () => {
      // Loopback is refused until private targets are allowed.
      const refused = await expectError(await call(ep(), t.alice, 'PUT', { model: 'acme/one', baseUrl: llm.url }), 400);
      assert.match(refused.error, /refused/);
      setArenaLiveOptions(hub.running.hub, { allowPrivateTargets: true, timeoutMs: 1500 });
      await expectError(await call(ep(), undefined, 'PUT', { model: 'acme/one', baseUrl: llm.url }), 401);
      await expectError(await call(ep(), t.bob, 'PUT', { model: 'acme/one', baseUrl: llm.url }), 403);
      await expectError(await call(ep(), t.bob), 403);
      await expectError(await call(ep(), t.alice, 'PUT', { model: 'no-slash', baseUrl: llm.url }), 400);
      await expectError(await call(ep(), t.alice, 'PUT', { model: 'acme/one', baseUrl: 'ftp://example.org' }), 400);
      await expectError(await call(ep(), t.alice, 'PUT', { model: 'acme/one', baseUrl: llm.url, apiKey: 42 }), 400);
      // Fewer than two endpoints: no battle yet.
      await expectError(await call(`${ARENA}/battles`, t.alice, 'POST', {}), 400);

      let r = await call(ep(), t.alice, 'PUT', { model: 'acme/one', baseUrl: `${llm.url}/`, apiKey: 'sk-secret-one', remoteModel: 'one-v2' });
      assert.equal(r.status, 200, await r.clone().text());
      r = await call(ep(), t.alice, 'PUT', { model: 'acme/two', baseUrl: llm.url });
      assert.equal(r.status, 200);
      const listed = await call(ep(), t.alice);
      const text = await listed.clone().text();
      assert.ok(!text.includes('sk-secret-one'), 'the key is never returned');
      assert.deepEqual(
        (await json(listed)).map((e: any) => [e.model, e.baseUrl, e.remoteModel, e.hasKey]),
        [
          ['acme/one', llm.url, 'one-v2', true],
          ['acme/two', llm.url, 'acme/two', false],
        ],
      );
      // A dataset-backed arena has no endpoints.
      assert.equal((await createRepoVia(hub, t.alice, 'static', { type: 'dataset' })).status, 200);
      await commitVia(hub, t.alice, 'alice/static', [fileOp('battles.jsonl', '{"id": 1, "prompt": "p", "outputs": {"a/b": "x", "c/d": "y"}}\n')], { type: 'datasets' });
      assert.equal((await call('', t.alice, 'POST', { title: 'Static', dataset: 'alice/static' })).status, 200);
      await expectError(await call('/alice/static/endpoints', t.alice, 'PUT', { model: 'acme/one', baseUrl: llm.url }), 400);
    });

    test('a live battle asks both endpoints, hides the names, and the vote reveals them', async () => {
      const before = llm.seen.length;
      const r = await call(`${ARENA}/battles`, t.bob, 'POST', {});
      assert.equal(r.status, 200, await r.clone().text());
      const d = await json(r);
      const text = JSON.stringify(d);
      assert.ok(!text.includes('acme/'), 'no model names');
      const calls = llm.seen.slice(before);
      assert.equal(calls.length, 2);
      for (const c of calls) {
        assert.equal(c.path, '/v1/chat/completions');
        assert.equal(c.auth, c.body.model === 'one-v2' ? 'Bearer sk-secret-one' : undefined);
        assert.equal(c.body.messages[c.body.messages.length - 1]!.content, d.promptId === 'q1' ? 'Say hi' : 'Say bye');
      }
      assert.deepEqual(calls.map((c) => c.body.model).sort(), ['acme/two', 'one-v2']);
      assert.match(d.a.html, /<strong>\[(one-v2|acme:two)\]<\/strong>/);
      const vote = await json(await call(`${ARENA}/battles/${d.battleId}/vote`, t.bob, 'POST', { winner: 'a' }));
      const remoteOf = (m: string) => (m === 'acme/one' ? 'one-v2' : m.replace('/', ':'));
      assert.ok(d.a.answer.includes(`[${remoteOf(vote.a)}]`), 'the reveal names the model that answered A');
      assert.ok(d.b.answer.includes(`[${remoteOf(vote.b)}]`));
      const board = await json(await call(`${ARENA}/leaderboard?style=1`, undefined));
      assert.equal(board.votes, 1);
      assert.equal(board.ratings[0].model, vote.a);
    });

    test('an endpoint that fails, redirects, cuts its answer or never answers: 502, nothing dealt', async () => {
      assert.equal((await call(ep('?model=acme/two'), t.alice, 'DELETE')).status, 200);
      await expectError(await call(ep('?model=acme/two'), t.alice, 'DELETE'), 404);
      assert.equal((await call(ep(), t.alice, 'PUT', { model: 'acme/broken', baseUrl: llm.url, remoteModel: 'broken' })).status, 200);
      const dealtBefore = await json(await call(`${ARENA}/leaderboard`, undefined));
      const failed = await expectError(await call(`${ARENA}/battles`, t.alice, 'POST', {}), 502, 'BadGateway');
      assert.match(failed.error, /HTTP 500/);
      assert.ok(!failed.error.includes('acme/'), 'the error does not name the model');
      assert.equal((await call(ep('?model=acme/broken'), t.alice, 'DELETE')).status, 200);
      assert.equal((await call(ep(), t.alice, 'PUT', { model: 'acme/huge', baseUrl: llm.url, remoteModel: 'huge' })).status, 200);
      assert.match((await expectError(await call(`${ARENA}/battles`, t.alice, 'POST', {}), 502)).error, /too large/);
      assert.equal((await call(ep('?model=acme/huge'), t.alice, 'DELETE')).status, 200);
      // A redirect is an answer, never followed: it could lead past the target check.
      assert.equal((await call(ep(), t.alice, 'PUT', { model: 'acme/moved', baseUrl: llm.url, remoteModel: 'moved' })).status, 200);
      assert.match((await expectError(await call(`${ARENA}/battles`, t.alice, 'POST', {}), 502)).error, /HTTP 307/);
      assert.ok(!llm.seen.some((c) => c.path.startsWith('/elsewhere')), 'the redirect was not followed');
      assert.equal((await call(ep('?model=acme/moved'), t.alice, 'DELETE')).status, 200);
      assert.equal((await call(ep(), t.alice, 'PUT', { model: 'acme/cut', baseUrl: llm.url, remoteModel: 'cut' })).status, 200);
      assert.match((await expectError(await call(`${ARENA}/battles`, t.alice, 'POST', {}), 502)).error, /connection lost/);
      assert.equal((await call(ep('?model=acme/cut'), t.alice, 'DELETE')).status, 200);
      assert.equal((await call(ep(), t.alice, 'PUT', { model: 'acme/hang', baseUrl: llm.url, remoteModel: 'hang' })).status, 200);
      const timedOut = await expectError(await call(`${ARENA}/battles`, t.alice, 'POST', {}), 502);
      assert.match(timedOut.error, /no answer within 1500 ms/);
      // Nothing was dealt by the failed deals: the vote count is unchanged and no battle is open to vote on.
      assert.equal((await json(await call(`${ARENA}/leaderboard`, undefined))).votes, dealtBefore.votes);
    });
  });
}
