/**
 * Discussions through the HTTP API (spec 8.2), on the real app with SQLite
 * and PostgreSQL: the response shapes field by field, who may do what
 * (anonymous, read token, outsider, org reader, author, writer; a private
 * repo invisible through every endpoint), bad input, pagination and filters,
 * the events listeners hear, and cleanup when the repo is deleted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createToken } from '../src/auth/tokens.js';
import { createUser } from '../src/auth/users.js';
import type { HubEvent } from '../src/services/events.js';
import { api, createRepoVia, expectError, json, startTestHub, type TestHub, testDialects } from './helpers/hub.js';

const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const HEX_ID = /^[0-9a-f]{24}$/;

for (const dialect of testDialects()) {
  describe(`discussions API (${dialect})`, () => {
    let hub: TestHub;
    /** rita: read member of acme; will: write member; carol: a signed-in stranger. */
    const tok = {} as Record<'alice' | 'aliceRead' | 'bob' | 'rita' | 'ritaRead' | 'will' | 'carol', string>;
    const events: HubEvent[] = [];
    const url = (p: string): string => `${hub.url}${p}`;
    const post = (p: string, token: string | undefined, body?: unknown): Promise<Response> =>
      api(url(p), token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

    before(async () => {
      hub = await startTestHub({ dialect });
      const db = hub.running.hub.db;
      const make = async (name: string): Promise<[string, string]> => {
        const u = await createUser(db, { name });
        return [(await createToken(db, u.id, { role: 'write', displayName: `${name}-w` })).token, (await createToken(db, u.id, { role: 'read', displayName: `${name}-r` })).token];
      };
      tok.alice = hub.tokens.alice;
      tok.aliceRead = hub.tokens.aliceRead;
      tok.bob = hub.tokens.bob;
      [tok.rita, tok.ritaRead] = await make('rita');
      [tok.will] = await make('will');
      [tok.carol] = await make('carol');
      assert.equal((await api(url('/api/organizations'), tok.alice, { method: 'POST', body: JSON.stringify({ name: 'acme', fullname: 'Acme' }) })).status, 200);
      for (const [user, role] of [['rita', 'read'], ['will', 'write']]) {
        const r = await api(url(`/api/organizations/acme/members/${user}`), tok.alice, { method: 'PUT', body: JSON.stringify({ role }) });
        assert.equal(r.status, 200, await r.text());
      }
      for (const [name, priv] of [['pub', false], ['priv', true]] as const) {
        const r = await createRepoVia(hub, tok.alice, name, { organization: 'acme', private: priv });
        assert.equal(r.status, 200, await r.text());
      }
      assert.equal((await createRepoVia(hub, tok.alice, 'data', { organization: 'acme', type: 'dataset' })).status, 200);
      hub.running.hub.events.on((e) => {
        if (e.scope === 'discussion' || e.scope === 'discussion.comment') events.push(e);
      });
    });
    after(() => hub?.close());

    test('create, then read the list and the details: every field of spec 8.2', async () => {
      const before = Date.now();
      const r = await post('/api/models/acme/pub/discussions', tok.bob, { title: '  Typo in the card  ', description: 'The **card** says `modle`.' });
      assert.equal(r.status, 200);
      const created = await json(r);
      assert.equal(created.num, 1);
      assert.equal(created.title, 'Typo in the card');
      assert.equal(created.status, 'open');
      assert.equal(created.isPullRequest, false);
      assert.equal(created.url, `${hub.url}/acme/pub/discussions/1`);

      const list = await json(await api(url('/api/models/acme/pub/discussions')));
      assert.deepEqual(Object.keys(list).sort(), ['count', 'discussions', 'start']);
      assert.equal(list.count, 1);
      assert.equal(list.start, 0);
      const item = list.discussions[0];
      assert.equal(item.num, 1);
      assert.equal(item.title, 'Typo in the card');
      assert.equal(item.status, 'open');
      assert.equal(item.isPullRequest, false);
      assert.match(item.createdAt, ISO_Z);
      assert.ok(Date.parse(item.createdAt) >= before - 1000);
      assert.deepEqual(item.author, { name: 'bob' });
      assert.deepEqual(item.repo, { name: 'acme/pub', type: 'model' });
      assert.equal(item.numComments, 1);

      const details = await json(await api(url('/api/models/acme/pub/discussions/1?diff=1')));
      for (const k of ['num', 'title', 'status', 'isPullRequest', 'createdAt', 'author', 'repo']) assert.deepEqual(details[k], item[k], k);
      assert.equal(details.changes, undefined, 'a discussion has no changes');
      assert.equal(details.diff, undefined);
      assert.equal(details.events.length, 1);
      const first = details.events[0];
      assert.match(first.id, HEX_ID);
      assert.equal(first.type, 'comment');
      assert.match(first.createdAt, ISO_Z);
      assert.deepEqual(first.author, { name: 'bob' });
      assert.equal(first.data.edited, false);
      assert.equal(first.data.hidden, false);
      assert.equal(first.data.latest.raw, 'The **card** says `modle`.');
      assert.match(first.data.latest.html, /<strong>card<\/strong>/);
      assert.match(first.data.latest.html, /<code>modle<\/code>/);
    });

    test('comment, rename, close with a comment, reopen: wrappers newMessage, newTitle, newStatus', async () => {
      const c = await json(await post('/api/models/acme/pub/discussions/1/comment', tok.rita, { comment: 'Good catch' }));
      assert.deepEqual(Object.keys(c), ['newMessage']);
      assert.equal(c.newMessage.type, 'comment');
      assert.equal(c.newMessage.data.latest.raw, 'Good catch');
      assert.deepEqual(c.newMessage.author, { name: 'rita' });

      const t = await json(await post('/api/models/acme/pub/discussions/1/title', tok.bob, { title: 'Typo: modle' }));
      assert.deepEqual(Object.keys(t), ['newTitle']);
      assert.equal(t.newTitle.type, 'title-change');
      assert.deepEqual(t.newTitle.data, { from: 'Typo in the card', to: 'Typo: modle' });

      const s = await json(await post('/api/models/acme/pub/discussions/1/status', tok.bob, { status: 'closed', comment: 'Fixed on main' }));
      assert.equal(s.newStatus.type, 'status-change');
      assert.deepEqual(s.newStatus.data, { status: 'closed' });
      assert.equal(s.newMessage.data.latest.raw, 'Fixed on main');
      const reopened = await json(await post('/api/models/acme/pub/discussions/1/status', tok.will, { status: 'open' }));
      assert.deepEqual(reopened.newStatus.data, { status: 'open' });

      const details = await json(await api(url('/api/models/acme/pub/discussions/1')));
      assert.equal(details.title, 'Typo: modle');
      assert.equal(details.status, 'open');
      assert.deepEqual(details.events.map((e: any) => e.type), ['comment', 'comment', 'title-change', 'comment', 'status-change', 'status-change']);
      // Every event id is distinct, and the thread is in order.
      assert.equal(new Set(details.events.map((e: any) => e.id)).size, details.events.length);
    });

    test('edit and hide comments: updatedComment, edit history, hidden text', async () => {
      const c = (await json(await post('/api/models/acme/pub/discussions/1/comment', tok.carol, { comment: 'first try' }))).newMessage;
      const edited = await json(await post(`/api/models/acme/pub/discussions/1/comment/${c.id}/edit`, tok.carol, { content: 'second try' }));
      assert.deepEqual(Object.keys(edited), ['updatedComment']);
      assert.equal(edited.updatedComment.id, c.id);
      assert.equal(edited.updatedComment.data.edited, true);
      assert.equal(edited.updatedComment.data.latest.raw, 'second try');
      assert.equal(edited.updatedComment.data.numEdits, 1);
      assert.equal(edited.updatedComment.data.history[0].raw, 'first try');
      const hidden = await json(await post(`/api/models/acme/pub/discussions/1/comment/${c.id}/hide`, tok.carol));
      assert.equal(hidden.updatedComment.data.hidden, true);
      assert.equal(hidden.updatedComment.data.latest.raw, '');
      assert.deepEqual(hidden.updatedComment.data.history, []);
      await expectError(await post(`/api/models/acme/pub/discussions/1/comment/${c.id}/edit`, tok.carol, { content: 'third' }), 409, 'Conflict');
    });

    test('who may do what on a public repo', async () => {
      const d = await json(await post('/api/models/acme/pub/discussions', tok.rita, { title: 'Rita asks' }));
      const p = `/api/models/acme/pub/discussions/${d.num}`;
      const bobComment = (await json(await post(`${p}/comment`, tok.bob, { comment: 'bob says' }))).newMessage;
      const ritaComment = (await json(await post(`${p}/comment`, tok.rita, { comment: 'rita says' }))).newMessage;

      // Anonymous: reads yes, writes 401.
      assert.equal((await api(url(p))).status, 200);
      await expectError(await post('/api/models/acme/pub/discussions', undefined, { title: 'x' }), 401, 'Unauthorized');
      await expectError(await post(`${p}/comment`, undefined, { comment: 'x' }), 401, 'Unauthorized');
      // A read token cannot write to discussions.
      await expectError(await post('/api/models/acme/pub/discussions', tok.aliceRead, { title: 'x' }), 403, 'Forbidden');
      await expectError(await post(`${p}/comment`, tok.ritaRead, { comment: 'x' }), 403, 'Forbidden');
      // An outsider comments but cannot rename or close someone else's discussion, nor merge.
      await expectError(await post(`${p}/title`, tok.carol, { title: 'mine now' }), 403, 'Forbidden');
      await expectError(await post(`${p}/status`, tok.carol, { status: 'closed' }), 403, 'Forbidden');
      // The author renames; a writer renames too; nobody edits another's comment.
      assert.equal((await post(`${p}/title`, tok.rita, { title: 'Rita asks again' })).status, 200);
      assert.equal((await post(`${p}/title`, tok.will, { title: 'Rita asks (triaged)' })).status, 200);
      await expectError(await post(`${p}/comment/${bobComment.id}/edit`, tok.rita, { content: 'x' }), 403, 'Forbidden');
      await expectError(await post(`${p}/comment/${bobComment.id}/edit`, tok.will, { content: 'x' }), 403, 'Forbidden');
      assert.equal((await post(`${p}/comment/${ritaComment.id}/edit`, tok.rita, { content: 'rita says more' })).status, 200);
      // Hiding: the comment's author or a writer; not the discussion's author.
      await expectError(await post(`${p}/comment/${bobComment.id}/hide`, tok.rita), 403, 'Forbidden');
      assert.equal((await post(`${p}/comment/${bobComment.id}/hide`, tok.will)).status, 200);
      // Merging a discussion is not a thing; a non-writer hears that first.
      await expectError(await post(`${p}/merge`, tok.rita), 403, 'Forbidden');
      await expectError(await post(`${p}/merge`, tok.will), 400, 'BadRequest');
      // Closing by the author.
      assert.equal((await post(`${p}/status`, tok.rita, { status: 'closed' })).status, 200);
      await expectError(await post(`${p}/status`, tok.rita, { status: 'closed' }), 409, 'Conflict');
    });

    test('a private repo: invisible through every endpoint to those without access, open to its readers', async () => {
      const d = await json(await post('/api/models/acme/priv/discussions', tok.rita, { title: 'Private question' }));
      assert.equal(d.num, 1);
      const c = (await json(await post('/api/models/acme/priv/discussions/1/comment', tok.will, { comment: 'answer' }))).newMessage;
      const doors: [string, string, unknown?][] = [
        ['GET', ''], ['POST', '', { title: 'x' }], ['GET', '/1'], ['GET', '/2'], ['GET', '/abc'], ['POST', '/1/comment', { comment: 'x' }],
        ['POST', '/1/title', { title: 'x' }], ['POST', '/1/status', { status: 'closed' }], ['POST', '/1/merge', {}],
        [`POST`, `/1/comment/${c.id}/edit`, { content: 'x' }], ['POST', `/1/comment/${c.id}/hide`],
      ];
      for (const repo of ['acme/priv', 'acme/missing']) {
        for (const [method, tail, body] of doors) {
          const init = { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) };
          const outsider = await api(url(`/api/models/${repo}/discussions${tail}`), tok.carol, init);
          await expectError(outsider, 404, 'RepoNotFound');
          const anonymous = await api(url(`/api/models/${repo}/discussions${tail}`), undefined, init);
          await expectError(anonymous, 401, 'RepoNotFound');
        }
      }
      // The org's reader sees and takes part.
      assert.equal((await json(await api(url('/api/models/acme/priv/discussions'), tok.rita))).count, 1);
      assert.equal((await api(url('/api/models/acme/priv/discussions/1'), tok.ritaRead)).status, 200);
      // Pages too: the same 404 page as a missing repo.
      const page = await api(url('/acme/priv/discussions/1'), tok.carol);
      assert.equal(page.status, 404);
      const missing = await api(url('/acme/missing/discussions/1'), tok.carol);
      assert.equal(missing.status, 404);
      assert.equal(await page.text(), await missing.text());
    });

    test('bad input gets 400 or 404 in the hub format', async () => {
      const p = '/api/models/acme/pub/discussions';
      await expectError(await post(p, tok.bob, {}), 400, 'BadRequest');
      await expectError(await post(p, tok.bob, { title: '   ' }), 400, 'BadRequest');
      await expectError(await post(p, tok.bob, { title: 42 }), 400, 'BadRequest');
      await expectError(await post(p, tok.bob, { title: 'x'.repeat(201) }), 400, 'BadRequest');
      await expectError(await post(p, tok.bob, { title: 'line\nbreak' }), 400, 'BadRequest');
      await expectError(await post(p, tok.bob, { title: 'ok', description: 'x'.repeat(65_537) }), 400, 'BadRequest');
      await expectError(await post(p, tok.bob, { title: 'ok', description: 5 }), 400, 'BadRequest');
      await expectError(await post(p, tok.bob, { title: 'ok', pullRequest: 'yes' }), 400, 'BadRequest');
      await expectError(await api(url(p), tok.bob, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' }), 400, 'BadRequest');
      await expectError(await api(url(p), tok.bob, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1]' }), 400, 'BadRequest');
      await expectError(await post(`${p}/1/comment`, tok.bob, { comment: '' }), 400, 'BadRequest');
      await expectError(await post(`${p}/1/comment`, tok.bob, {}), 400, 'BadRequest');
      await expectError(await post(`${p}/1/comment`, tok.bob, { comment: 'y'.repeat(65_537) }), 400, 'BadRequest');
      await expectError(await post(`${p}/1/title`, tok.bob, { title: 'z'.repeat(201) }), 400, 'BadRequest');
      for (const status of ['merged', 'draft', 'OPEN', '', 1]) await expectError(await post(`${p}/1/status`, tok.bob, { status }), 400, 'BadRequest');
      await expectError(await api(url(`${p}/999`)), 404, 'NotFound');
      await expectError(await post(`${p}/999/comment`, tok.bob, { comment: 'x' }), 404, 'NotFound');
      for (const num of ['abc', '0', '-1', '1.5', '01', '1e3', '99999999999']) await expectError(await api(url(`${p}/${num}`)), 400, 'BadRequest');
      await expectError(await post(`${p}/1/comment/ffffffffffffffffffffffff/edit`, tok.bob, { content: 'x' }), 404, 'NotFound');
      await expectError(await post(`${p}/1/comment/nope/hide`, tok.bob), 404, 'NotFound');
      await expectError(await post(`${p}/1/unknown`, tok.bob, {}), 404, 'NotFound');
      await expectError(await api(url(`${p}/1/comment`), tok.bob), 405, 'MethodNotAllowed');
      for (const q of ['p=-1', 'p=x', 'type=issues', 'status=wontfix']) await expectError(await api(url(`${p}?${q}`)), 400, 'BadRequest');
    });

    test('pages of 50, filters by type, status, author and search', async () => {
      const p = '/api/datasets/acme/data/discussions';
      for (let i = 1; i <= 53; i++) {
        const r = await post(p, i % 2 ? tok.bob : tok.rita, { title: i === 7 ? 'Needle 100%_match' : `Question ${i}` });
        assert.equal(r.status, 200);
      }
      await post(`${p}/2/status`, tok.rita, { status: 'closed' });
      const first = await json(await api(url(p)));
      assert.equal(first.count, 53);
      assert.equal(first.start, 0);
      assert.equal(first.discussions.length, 50);
      assert.equal(first.discussions[0].num, 53, 'newest first');
      assert.deepEqual(first.discussions[0].repo, { name: 'acme/data', type: 'dataset' });
      const second = await json(await api(url(`${p}?p=1`)));
      assert.equal(second.start, 50);
      assert.deepEqual(second.discussions.map((d: any) => d.num), [3, 2, 1]);
      const beyond = await json(await api(url(`${p}?p=5`)));
      assert.deepEqual([beyond.count, beyond.discussions.length], [53, 0]);
      assert.equal((await json(await api(url(`${p}?status=closed`)))).count, 1);
      assert.equal((await json(await api(url(`${p}?status=open`)))).count, 52);
      assert.equal((await json(await api(url(`${p}?author=RITA`)))).count, 26);
      assert.equal((await json(await api(url(`${p}?type=pull_request`)))).count, 0);
      assert.equal((await json(await api(url(`${p}?type=discussion&status=all`)))).count, 53);
      const found = await json(await api(url(`${p}?search=${encodeURIComponent('100%_m')}`)));
      assert.deepEqual(found.discussions.map((d: any) => d.num), [7]);
      assert.equal((await json(await api(url(`${p}?search=${encodeURIComponent('%')}`)))).count, 1, 'LIKE wildcards are literal');
    });

    test('listeners hear discussion and comment events', async () => {
      events.length = 0;
      const d = await json(await post('/api/models/acme/pub/discussions', tok.bob, { title: 'Events' }));
      const c = (await json(await post(`/api/models/acme/pub/discussions/${d.num}/comment`, tok.rita, { comment: 'hello' }))).newMessage;
      await post(`/api/models/acme/pub/discussions/${d.num}/comment/${c.id}/edit`, tok.rita, { content: 'hello again' });
      await post(`/api/models/acme/pub/discussions/${d.num}/title`, tok.bob, { title: 'Events!' });
      await post(`/api/models/acme/pub/discussions/${d.num}/status`, tok.bob, { status: 'closed' });
      assert.deepEqual(events.map((e) => `${e.scope}/${e.action}`), ['discussion/create', 'discussion.comment/create', 'discussion.comment/update', 'discussion/update', 'discussion/update']);
      assert.deepEqual(events[0]!.discussion, { num: d.num, title: 'Events', isPullRequest: false, status: 'open', author: 'bob' });
      assert.equal(events[0]!.repo.name, 'pub');
      assert.deepEqual(events[1]!.comment, { id: c.id, author: 'rita', content: 'hello', hidden: false });
      assert.equal(events[2]!.comment!.content, 'hello again');
      assert.equal(events[3]!.discussion!.title, 'Events!');
      assert.equal(events[4]!.discussion!.status, 'closed');
      assert.equal(events[4]!.actor, 'bob');
    });

    test('concurrent discussions and comments each get their own number and slot', async () => {
      const made = await Promise.all(Array.from({ length: 8 }, (_, i) => post('/api/models/acme/pub/discussions', i % 2 ? tok.bob : tok.carol, { title: `Race ${i}` })));
      const nums = await Promise.all(made.map(async (r) => (assert.equal(r.status, 200), (await json(r)).num as number)));
      assert.equal(new Set(nums).size, 8);
      const target = nums[0]!;
      const comments = await Promise.all(Array.from({ length: 8 }, (_, i) => post(`/api/models/acme/pub/discussions/${target}/comment`, tok.rita, { comment: `c${i}` })));
      for (const r of comments) assert.equal(r.status, 200);
      const details = await json(await api(url(`/api/models/acme/pub/discussions/${target}`)));
      assert.equal(details.events.length, 9);
    });

    test('deleting the repo deletes its discussions', async () => {
      assert.equal((await createRepoVia(hub, tok.alice, 'doomed', { organization: 'acme' })).status, 200);
      await post('/api/models/acme/doomed/discussions', tok.bob, { title: 'Soon gone', description: 'bye' });
      const db = hub.running.hub.db;
      const repo = await db.selectFrom('repos').select('id').where('full_name_lc', '=', 'acme/doomed').executeTakeFirstOrThrow();
      assert.equal((await db.selectFrom('discussions').select('id').where('repo_id', '=', repo.id).execute()).length, 1);
      const del = await api(url('/api/repos/delete'), tok.alice, { method: 'DELETE', body: JSON.stringify({ type: 'model', organization: 'acme', name: 'doomed' }) });
      assert.equal(del.status, 200);
      assert.equal((await db.selectFrom('discussions').select('id').where('repo_id', '=', repo.id).execute()).length, 0);
      const orphans = await db.selectFrom('discussion_events').leftJoin('discussions', 'discussions.id', 'discussion_events.discussion_id').select('discussion_events.id').where('discussions.id', 'is', null).execute();
      assert.equal(orphans.length, 0);
      // A new repo under the same name starts from #1.
      assert.equal((await createRepoVia(hub, tok.alice, 'doomed', { organization: 'acme' })).status, 200);
      assert.equal((await json(await api(url('/api/models/acme/doomed/discussions')))).count, 0);
      assert.equal((await json(await post('/api/models/acme/doomed/discussions', tok.bob, { title: 'Again' }))).num, 1);
    });
  });
}
