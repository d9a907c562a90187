import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setSocialClock } from '../src/services/downloads-clock.js';
import { api, createRepoVia, expectError, json, startTestHub, testDialects, type TestHub } from './helpers/hub.js';

/** Follows `Link: <…>; rel="next"` to the end, checking each URL is absolute (spec 1.5). */
async function allPages(url: string, token?: string): Promise<{ items: any[]; pages: number }> {
  const items: any[] = [];
  let next: string | undefined = url;
  let pages = 0;
  while (next) {
    const r = await api(next, token);
    assert.equal(r.status, 200, await r.clone().text());
    items.push(...((await r.json()) as any[]));
    pages++;
    const link = r.headers.get('link');
    const m = link ? /^<(https?:\/\/[^>]+)>;\s+rel="next"$/.exec(link) : null;
    if (link) assert.ok(m, `Link header is absolute and well-formed: ${link}`);
    next = m?.[1];
  }
  return { items, pages };
}

for (const dialect of testDialects()) {
  describe(`likes (${dialect})`, () => {
    let hub: TestHub;
    let t: TestHub['tokens'];
    const like = (token: string | undefined, repo: string, method = 'POST', type = 'models') => api(`${hub.url}/api/${type}/${repo}/like`, token, { method });
    const info = async (repo: string, token?: string, type = 'models') => json(await api(`${hub.url}/api/${type}/${repo}`, token));

    before(async () => {
      hub = await startTestHub({ dialect });
      t = hub.tokens;
      for (const name of ['pub', 'second', 'third']) assert.equal((await createRepoVia(hub, t.alice, name)).status, 200);
      assert.equal((await createRepoVia(hub, t.alice, 'secret', { private: true })).status, 200);
      assert.equal((await createRepoVia(hub, t.alice, 'data', { type: 'dataset' })).status, 200);
    });
    after(() => hub.close());

    test('a like counts once per user; unlike undoes it; both are idempotent', async () => {
      let r = await like(t.bob, 'alice/pub');
      assert.equal(r.status, 200);
      assert.deepEqual(await r.json(), { liked: true, likes: 1 });
      r = await like(t.bob, 'alice/pub');
      assert.deepEqual(await r.json(), { liked: true, likes: 1 }, 'liking twice changes nothing');
      assert.equal((await info('alice/pub')).likes, 1);
      assert.deepEqual(await json(await like(t.alice, 'alice/pub')), { liked: true, likes: 2 });
      assert.equal((await info('alice/pub')).likes, 2);
      // JS repoExists asks for expand[]=likes.
      const expanded = await json(await api(`${hub.url}/api/models/alice/pub?expand[]=likes`));
      assert.deepEqual(expanded, { _id: expanded._id, id: 'alice/pub', likes: 2 });
      assert.deepEqual(await json(await like(t.bob, 'alice/pub', 'DELETE')), { liked: false, likes: 1 });
      assert.deepEqual(await json(await like(t.bob, 'alice/pub', 'DELETE')), { liked: false, likes: 1 }, 'unliking twice changes nothing');
      assert.equal((await info('alice/pub')).likes, 1);
      // Other repo types.
      assert.deepEqual(await json(await like(t.bob, 'alice/data', 'POST', 'datasets')), { liked: true, likes: 1 });
      assert.equal((await info('alice/data', undefined, 'datasets')).likes, 1);
    });

    test('anonymous callers and read tokens cannot like; bad methods and unknown repos are refused', async () => {
      await expectError(await like(undefined, 'alice/pub'), 401, 'Unauthorized');
      await expectError(await like(undefined, 'alice/pub', 'DELETE'), 401, 'Unauthorized');
      await expectError(await like(t.aliceRead, 'alice/pub'), 403, 'Forbidden');
      await expectError(await like(t.bob, 'alice/nope'), 404, 'RepoNotFound');
      await expectError(await like(t.bob, 'alice/pub', 'PUT'), 405);
      assert.deepEqual(await json(await like(t.alice, 'alice/pub', 'GET')), { liked: true, likes: 1 });
      assert.deepEqual(await json(await like(t.bob, 'alice/pub', 'GET')), { liked: false, likes: 1 });
      assert.deepEqual(await json(await like(undefined, 'alice/pub', 'GET')), { liked: false, likes: 1 });
      await expectError(await api(`${hub.url}/api/models/alice/pub/likers`, t.bob, { method: 'POST' }), 405);
      await expectError(await api(`${hub.url}/api/models/alice/pub/like/extra`, t.bob, { method: 'POST' }), 404);
      await expectError(await api(`${hub.url}/api/users/nobody/likes`), 404);
    });

    test('a private repo cannot be liked, listed or counted by those who cannot see it', async () => {
      const denied = await expectError(await like(t.bob, 'alice/secret'), 404, 'RepoNotFound');
      const missing = await expectError(await like(t.bob, 'alice/missing-repo'), 404, 'RepoNotFound');
      assert.equal(denied.error.replace('secret', 'X'), missing.error.replace('missing-repo', 'X'), 'private looks exactly like missing');
      await expectError(await api(`${hub.url}/api/models/alice/secret/likers`, t.bob), 404, 'RepoNotFound');
      await expectError(await api(`${hub.url}/api/models/alice/secret/likers`), 401, 'RepoNotFound');
      assert.deepEqual(await json(await like(t.alice, 'alice/secret')), { liked: true, likes: 1 });
      const likersOwn = await json(await api(`${hub.url}/api/models/alice/secret/likers`, t.alice));
      assert.deepEqual(likersOwn.map((l: any) => l.user), ['alice']);
      const mine = (await allPages(`${hub.url}/api/users/alice/likes`, t.alice)).items.map((l: any) => l.repo.name);
      assert.ok(mine.includes('alice/secret'), 'the owner sees her like of her private repo');
      for (const token of [undefined, t.bob]) {
        const seen = (await allPages(`${hub.url}/api/users/alice/likes`, token)).items.map((l: any) => l.repo.name);
        assert.ok(!seen.includes('alice/secret'), 'others never see it');
        assert.ok(seen.includes('alice/pub'));
      }
    });

    test('likers and user likes: shapes, newest first, Link pages', async () => {
      // One second between likes, so that "newest first" never depends on two likes sharing a millisecond.
      let tick = Date.now();
      setSocialClock(hub.running.hub, () => new Date((tick += 1000)));
      for (const name of ['second', 'third']) await like(t.bob, `alice/${name}`);
      await like(t.alice, 'alice/second');
      const likers = await api(`${hub.url}/api/models/alice/second/likers`);
      assert.equal(likers.status, 200);
      const body = await likers.json();
      assert.equal(body.length, 2);
      assert.deepEqual(body[0], { user: 'alice', fullname: 'Alice', avatarUrl: `${hub.url}/avatars/alice` }, 'newest first');
      assert.deepEqual(Object.keys(body[1]).sort(), ['avatarUrl', 'fullname', 'user']);
      assert.equal(body[1].user, 'bob');
      const paged = await allPages(`${hub.url}/api/models/alice/second/likers?limit=1`);
      assert.equal(paged.pages, 2);
      assert.deepEqual(paged.items.map((l) => l.user), ['alice', 'bob']);

      const bobs = await allPages(`${hub.url}/api/users/bob/likes?limit=2`);
      assert.equal(bobs.pages, 2);
      assert.deepEqual(bobs.items.map((l) => l.repo), [
        { name: 'alice/third', type: 'model' },
        { name: 'alice/second', type: 'model' },
        { name: 'alice/data', type: 'dataset' },
      ]);
      for (const l of bobs.items) {
        assert.deepEqual(Object.keys(l).sort(), ['createdAt', 'repo']);
        assert.match(l.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
      // The Link repeats every parameter (spec 1.5).
      const first = await api(`${hub.url}/api/users/bob/likes?limit=2&foo=bar`);
      assert.match(first.headers.get('link')!, /limit=2/);
      assert.match(first.headers.get('link')!, /foo=bar/);
      setSocialClock(hub.running.hub, undefined);
    });

    test('listings sort by likes; a deleted repo takes its likes with it', async () => {
      const sorted = await json(await api(`${hub.url}/api/models?author=alice&sort=likes`));
      const counts = sorted.map((r: any) => r.likes);
      assert.deepEqual(counts, [...counts].sort((a: number, b: number) => b - a));
      assert.equal(sorted[0].id, 'alice/second');
      assert.equal((await createRepoVia(hub, t.alice, 'doomed')).status, 200);
      await like(t.bob, 'alice/doomed');
      assert.ok((await allPages(`${hub.url}/api/users/bob/likes`)).items.some((l) => l.repo.name === 'alice/doomed'));
      const del = await api(`${hub.url}/api/repos/delete`, t.alice, { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'doomed', organization: 'alice', type: 'model' }) });
      assert.equal(del.status, 200, await del.text());
      assert.ok(!(await allPages(`${hub.url}/api/users/bob/likes`)).items.some((l) => l.repo.name === 'alice/doomed'));
      // Re-created under the same name, it starts from zero.
      assert.equal((await createRepoVia(hub, t.alice, 'doomed')).status, 200);
      assert.equal((await info('alice/doomed')).likes, 0);
    });
  });
}
