import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createCollection, deleteCollection, listCollections } from '@huggingface/hub';
import { api, createRepoVia, expectError, json, startTestHub, testDialects, type TestHub } from './helpers/hub.js';

for (const dialect of testDialects()) {
  describe(`collections (${dialect})`, () => {
    let hub: TestHub;
    let t: TestHub['tokens'];
    const call = (path: string, token: string | undefined, method = 'GET', body?: unknown) =>
      api(`${hub.url}/api/collections${path}`, token, body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const create = async (title: string, token = t.alice, extra: Record<string, unknown> = {}) => {
      const r = await call('', token, 'POST', { title, namespace: 'alice', ...extra });
      assert.equal(r.status, 200, await r.clone().text());
      return json(r);
    };

    before(async () => {
      hub = await startTestHub({ dialect });
      t = hub.tokens;
      for (const name of ['m1', 'm2', 'm3']) assert.equal((await createRepoVia(hub, t.alice, name)).status, 200);
      assert.equal((await createRepoVia(hub, t.alice, 'd1', { type: 'dataset' })).status, 200);
      assert.equal((await createRepoVia(hub, t.alice, 'hidden', { private: true })).status, 200);
      assert.equal((await createRepoVia(hub, t.bob, 'bobs-secret', { private: true, organization: 'bob' })).status, 200);
    });
    after(() => hub.close());

    test('create, read, add items with notes, reorder, edit, remove, delete', async () => {
      const c = await create('My favourite models!', t.alice, { description: 'Small & useful' });
      assert.match(c.slug, /^alice\/my-favourite-models-[0-9a-f]{24}$/);
      assert.equal(c.title, 'My favourite models!');
      assert.equal(c.description, 'Small & useful');
      assert.deepEqual(c.owner.name, 'alice');
      assert.deepEqual(c.owner.type, 'user');
      assert.deepEqual(c.items, []);
      assert.equal(c.private, false);
      assert.equal(c.upvotes, 0);
      assert.match(c.lastUpdated, /Z$/);
      assert.ok(['orange', 'blue', 'green', 'purple', 'pink', 'indigo'].includes(c.theme));
      assert.equal(typeof c.position, 'number');
      assert.equal(c.url, `${hub.url}/collections/${c.slug}`);

      // PY create_collection(exists_ok=True) reads the slug of the 409.
      const dup = await expectError(await call('', t.alice, 'POST', { title: 'my favourite MODELS!', namespace: 'alice' }), 409);
      assert.equal(dup.slug, c.slug);

      let r = await call(`/${c.slug}/items`, t.alice, 'POST', { item: { type: 'model', id: 'alice/m1' }, note: 'Start **here**' });
      assert.equal(r.status, 200, await r.clone().text());
      let got = await json(r);
      assert.equal(got.items.length, 1);
      const first = got.items[0];
      assert.match(first._id, /^[0-9a-f]{24}$/);
      assert.equal(first.id, 'alice/m1');
      assert.equal(first.type, 'model');
      assert.equal(first.position, 0);
      assert.equal(first.note.text, 'Start **here**');
      assert.match(first.note.html, /<strong>here<\/strong>/);
      assert.equal(first.author, 'alice');
      for (const key of ['downloads', 'likes', 'trendingScore']) assert.equal(typeof first[key], 'number');
      await call(`/${c.slug}/items`, t.alice, 'POST', { item: { type: 'dataset', id: 'alice/d1' } });
      got = await json(await call(`/${c.slug}/items`, t.alice, 'POST', { item: { type: 'model', id: 'alice/m2' }, note: 'third' }));
      assert.deepEqual(got.items.map((i: any) => [i.id, i.type, i.position, i.note?.text ?? null]), [
        ['alice/m1', 'model', 0, 'Start **here**'],
        ['alice/d1', 'dataset', 1, null],
        ['alice/m2', 'model', 2, 'third'],
      ]);
      // Already there: 409 (PY add_collection_item(exists_ok=True) then fetches the collection).
      await expectError(await call(`/${c.slug}/items`, t.alice, 'POST', { item: { type: 'model', id: 'alice/m1' } }), 409);
      await expectError(await call(`/${c.slug}/items`, t.alice, 'POST', { item: { type: 'model', id: 'alice/nope' } }), 404, 'RepoNotFound');
      await expectError(await call(`/${c.slug}/items`, t.alice, 'POST', { item: { type: 'model', id: 'bob/bobs-secret' } }), 404, 'RepoNotFound');
      await expectError(await call(`/${c.slug}/items`, t.alice, 'POST', { item: { type: 'paper', id: '2311.12983' } }), 400);
      await expectError(await call(`/${c.slug}/items`, t.alice, 'POST', { item: { type: 'model', id: 'no-slash' } }), 400);
      await expectError(await call(`/${c.slug}/items`, t.alice, 'POST', { item: 'alice/m1' }), 400);
      await expectError(await call(`/${c.slug}/items`, t.alice, 'POST', { item: { type: 'model', id: 'alice/m3' }, note: 'x'.repeat(501) }), 400);

      // Move m2 to the top; edit a note; clear another.
      const m2 = got.items[2]._id;
      r = await call(`/${c.slug}/items/${m2}`, t.alice, 'PATCH', { position: 0, note: 'now first' });
      assert.equal(r.status, 200, await r.clone().text());
      await call(`/${c.slug}/items/${first._id}`, t.alice, 'PATCH', { note: '' });
      got = await json(await call(`/${c.slug}`, undefined));
      assert.deepEqual(got.items.map((i: any) => [i.id, i.position, i.note?.text ?? null]), [
        ['alice/m2', 0, 'now first'],
        ['alice/m1', 1, null],
        ['alice/d1', 2, null],
      ]);
      await expectError(await call(`/${c.slug}/items/${m2}`, t.alice, 'PATCH', { position: -1 }), 400);
      await expectError(await call(`/${c.slug}/items/000000000000000000000000`, t.alice, 'PATCH', { note: 'x' }), 404);

      // Metadata: PY reads the answer's `data`. The slug follows the title; the old one still works (same id).
      r = await call(`/${c.slug}`, t.alice, 'PATCH', { title: 'Renamed list', description: 'new', theme: 'green' });
      assert.equal(r.status, 200);
      const patched = (await json(r)).data;
      assert.equal(patched.title, 'Renamed list');
      assert.equal(patched.theme, 'green');
      assert.equal(patched.slug, c.slug.replace('my-favourite-models', 'renamed-list'));
      assert.equal((await json(await call(`/${c.slug}`, undefined))).title, 'Renamed list');
      await expectError(await call(`/${c.slug}`, t.alice, 'PATCH', { theme: 'rainbow' }), 400);
      await expectError(await call(`/${c.slug}`, t.alice, 'PATCH', { title: '' }), 400);
      await expectError(await call(`/${c.slug}`, t.alice, 'PATCH', { private: 'yes' }), 400);

      r = await call(`/${patched.slug}/items/${m2}`, t.alice, 'DELETE');
      assert.equal(r.status, 200);
      assert.deepEqual((await json(await call(`/${patched.slug}`, undefined))).items.map((i: any) => i.id), ['alice/m1', 'alice/d1']);
      await expectError(await call(`/${patched.slug}/items/${m2}`, t.alice, 'DELETE'), 404);

      // A deleted repo leaves its collections.
      const gone = await json(await call(`/${patched.slug}/items`, t.alice, 'POST', { item: { type: 'model', id: 'alice/m3' } }));
      assert.equal(gone.items.length, 3);
      const del = await api(`${hub.url}/api/repos/delete`, t.alice, { method: 'DELETE', body: JSON.stringify({ name: 'm3', organization: 'alice', type: 'model' }) });
      assert.equal(del.status, 200);
      assert.deepEqual((await json(await call(`/${patched.slug}`, undefined))).items.map((i: any) => i.id), ['alice/m1', 'alice/d1']);

      assert.equal((await call(`/${patched.slug}`, t.alice, 'DELETE')).status, 200);
      await expectError(await call(`/${patched.slug}`, t.alice), 404);
      await expectError(await call(`/${patched.slug}`, t.alice, 'DELETE'), 404);
    });

    test('who may edit: the owner, an org’s writers; not readers, others, read tokens or anonymous callers', async () => {
      const c = await create('Permissions');
      await expectError(await call('', undefined, 'POST', { title: 'x', namespace: 'alice' }), 401);
      await expectError(await call('', t.bob, 'POST', { title: 'x', namespace: 'alice' }), 403);
      await expectError(await call('', t.aliceRead, 'POST', { title: 'x', namespace: 'alice' }), 403);
      await expectError(await call('', t.alice, 'POST', { title: 'x', namespace: 'nobody-here' }), 404);
      await expectError(await call('', t.alice, 'POST', { namespace: 'alice' }), 400);
      await expectError(await call('', t.alice, 'POST', { title: 'x'.repeat(101), namespace: 'alice' }), 400);
      for (const [token, status] of [[t.bob, 403], [undefined, 401], [t.aliceRead, 403]] as const) {
        await expectError(await call(`/${c.slug}/items`, token, 'POST', { item: { type: 'model', id: 'alice/m1' } }), status);
        await expectError(await call(`/${c.slug}`, token, 'PATCH', { title: 'hijack' }), status);
        await expectError(await call(`/${c.slug}`, token, 'DELETE'), status);
      }
      await expectError(await call(`/${c.slug}`, t.alice, 'PUT'), 405);
      await expectError(await call(`/alice/not-a-slug`, t.alice), 404);
      await expectError(await call(`/bob/${c.slug.split('/')[1]}`, t.alice), 404, 'NotFound');

      // An org: readers cannot edit its collections, writers can.
      assert.equal((await api(`${hub.url}/api/organizations`, t.alice, { method: 'POST', body: JSON.stringify({ name: 'acme' }) })).status, 200);
      const setRole = (role: string) => api(`${hub.url}/api/organizations/acme/members/bob`, t.alice, { method: 'PUT', body: JSON.stringify({ role }) });
      assert.equal((await setRole('read')).status, 200);
      await expectError(await call('', t.bob, 'POST', { title: 'Acme picks', namespace: 'acme' }), 403);
      const org = await json(await call('', t.alice, 'POST', { title: 'Acme picks', namespace: 'acme', private: true }));
      assert.deepEqual([org.owner.name, org.owner.type, org.private], ['acme', 'org', true]);
      assert.equal((await call(`/${org.slug}`, t.bob)).status, 200, 'org members see its private collections');
      await expectError(await call(`/${org.slug}/items`, t.bob, 'POST', { item: { type: 'model', id: 'alice/m1' } }), 403);
      assert.equal((await setRole('write')).status, 200);
      const added = await call(`/${org.slug}/items`, t.bob, 'POST', { item: { type: 'model', id: 'alice/m1' }, note: 'from bob' });
      assert.equal(added.status, 200, await added.clone().text());
      // A writer cannot add a private repo they cannot read, even into a collection they may edit.
      await expectError(await call(`/${org.slug}/items`, t.bob, 'POST', { item: { type: 'model', id: 'alice/hidden' } }), 404, 'RepoNotFound');
    });

    test('privacy: private collections and private repos inside public ones', async () => {
      const priv = await create('Private list', t.alice, { private: true });
      await expectError(await call(`/${priv.slug}`, t.bob), 404);
      await expectError(await call(`/${priv.slug}`, undefined), 404);
      assert.equal((await call(`/${priv.slug}`, t.alice)).status, 200);
      const pub = await create('Public mix');
      await call(`/${pub.slug}/items`, t.alice, 'POST', { item: { type: 'model', id: 'alice/hidden' }, note: 'secret note' });
      await call(`/${pub.slug}/items`, t.alice, 'POST', { item: { type: 'model', id: 'alice/m2' } });
      assert.deepEqual((await json(await call(`/${pub.slug}`, t.alice))).items.map((i: any) => i.id), ['alice/hidden', 'alice/m2']);
      for (const token of [t.bob, undefined]) {
        const seen = await json(await call(`/${pub.slug}`, token));
        assert.deepEqual(seen.items.map((i: any) => i.id), ['alice/m2']);
        assert.ok(!JSON.stringify(seen).includes('secret note') && !JSON.stringify(seen).includes('alice/hidden'), 'nothing of the private item leaks');
        const listed = await json(await call(`?owner=alice&limit=100`, token));
        assert.ok(!listed.some((c: any) => c.slug === priv.slug), 'private collections are not listed');
        assert.ok(!JSON.stringify(listed).includes('alice/hidden'));
        // Filtering by a private repo finds nothing, as for a missing one.
        assert.deepEqual(await json(await call(`?item=models/alice/hidden`, token)), []);
      }
      const mine = await json(await call(`?owner=alice&limit=100`, t.alice));
      assert.ok(mine.some((c: any) => c.slug === priv.slug));
      // Making it private hides it; public again shows it.
      await call(`/${pub.slug}`, t.alice, 'PATCH', { private: true });
      await expectError(await call(`/${pub.slug}`, t.bob), 404);
      await call(`/${pub.slug}`, t.alice, 'PATCH', { private: false });
      assert.equal((await call(`/${pub.slug}`, t.bob)).status, 200);
    });

    test('listing: owner, item and q filters, 4 items per collection, Link pages', async () => {
      const big = await create('Big one');
      for (const id of ['alice/m1', 'alice/m2']) await call(`/${big.slug}/items`, t.alice, 'POST', { item: { type: 'model', id } });
      await call(`/${big.slug}/items`, t.alice, 'POST', { item: { type: 'dataset', id: 'alice/d1' } });
      for (const n of ['a', 'b', 'c']) {
        assert.equal((await createRepoVia(hub, t.alice, `extra-${n}`)).status, 200);
        await call(`/${big.slug}/items`, t.alice, 'POST', { item: { type: 'model', id: `alice/extra-${n}` } });
      }
      const found = await json(await call(`?item=datasets/alice/d1&q=big`, undefined));
      assert.deepEqual(found.map((c: any) => c.slug), [big.slug]);
      assert.equal(found[0].items.length, 4);
      assert.equal(found[0].numberItems, 6);
      assert.deepEqual(await json(await call(`?owner=bob`, undefined)), []);
      await expectError(await call(`?sort=random`, undefined), 400);
      const page1 = await call(`?owner=alice&limit=1`, undefined);
      const link = page1.headers.get('link');
      assert.match(link!, /^<http:\/\/[^>]+limit=1[^>]*>; rel="next"$/);
      const page2 = await json(await api(/^<([^>]+)>/.exec(link!)![1]!));
      assert.equal(page2.length, 1);
      assert.notEqual(page2[0].slug, (await json(page1))[0].slug);
    });

    test('a renamed repo is followed by its collections and keeps its likes', async () => {
      assert.equal((await createRepoVia(hub, t.alice, 'before-move')).status, 200);
      const c = await create('Follows renames');
      await call(`/${c.slug}/items`, t.alice, 'POST', { item: { type: 'model', id: 'alice/before-move' }, note: 'kept' });
      assert.equal((await api(`${hub.url}/api/models/alice/before-move/like`, t.bob, { method: 'POST' })).status, 200);
      const moved = await api(`${hub.url}/api/repos/move`, t.alice, { method: 'POST', body: JSON.stringify({ fromRepo: 'alice/before-move', toRepo: 'alice/after-move', type: 'model' }) });
      assert.equal(moved.status, 200, await moved.text());
      const got = await json(await call(`/${c.slug}`, undefined));
      assert.deepEqual(got.items.map((i: any) => [i.id, i.note.text, i.likes]), [['alice/after-move', 'kept', 1]]);
      const bobs = await json(await api(`${hub.url}/api/users/bob/likes`));
      assert.ok(bobs.some((l: any) => l.repo.name === 'alice/after-move'));
    });

    test('pages: lists and a collection, escaped; private ones and unknown owners are 404', async () => {
      const evil = await create('<img src=x onerror=alert(1)>', t.alice, { description: '<b>bold?</b>' });
      await call(`/${evil.slug}/items`, t.alice, 'POST', { item: { type: 'model', id: 'alice/m1' }, note: 'hi <script>alert(1)</script> **there**' });
      const page = await api(`${hub.url}/collections/${evil.slug}`);
      assert.equal(page.status, 200);
      const text = await page.text();
      assert.ok(!text.includes('<img src=x') && !text.includes('<script>alert') && !text.includes('<b>bold'), 'user text is escaped or sanitised');
      assert.ok(text.includes('&lt;img src=x onerror=alert(1)&gt;'));
      assert.match(text, /<strong>there<\/strong>/);
      assert.ok(!text.includes('id="add-item-form"'), 'no edit forms for anonymous visitors');
      const mine = await (await api(`${hub.url}/collections/${evil.slug}`, t.alice)).text();
      assert.ok(mine.includes('id="add-item-form"'), 'the owner gets the edit forms');
      for (const p of ['/collections', '/collections/alice']) {
        const r = await api(`${hub.url}${p}`);
        assert.equal(r.status, 200);
        assert.ok((await r.text()).includes(`/collections/${evil.slug}`));
      }
      const priv = await create('Hidden page', t.alice, { private: true });
      assert.equal((await api(`${hub.url}/collections/${priv.slug}`, t.bob)).status, 404);
      assert.equal((await api(`${hub.url}/collections/${priv.slug}`)).status, 404);
      assert.ok(!(await (await api(`${hub.url}/collections/alice`)).text()).includes(priv.slug));
      assert.equal((await api(`${hub.url}/collections/nobody-at-all`)).status, 404);
      assert.equal((await api(`${hub.url}/collections/alice/not-a-collection`)).status, 404);
    });

    test('the npm client @huggingface/hub works against these endpoints (the ones its package exports)', async () => {
      const hubUrl = hub.url;
      const { slug } = await createCollection({ collection: { title: 'From JS', namespace: 'alice', description: 'made by the client' }, accessToken: t.alice, hubUrl });
      assert.match(slug, /^alice\/from-js-[0-9a-f]{24}$/);
      await call(`/${slug}/items`, t.alice, 'POST', { item: { type: 'model', id: 'alice/m1' }, note: 'a note' });
      const listed = [];
      for await (const c of listCollections({ search: { owner: ['alice'], q: 'from js' }, hubUrl })) listed.push(c);
      assert.deepEqual(listed.map((c) => c.slug), [slug]);
      assert.equal(listed[0]!.items[0]!.note?.text, 'a note');
      const all = [];
      for await (const c of listCollections({ search: { owner: ['alice'] }, hubUrl, limit: 3 })) all.push(c.slug);
      assert.equal(all.length, 3);
      await deleteCollection({ slug, accessToken: t.alice, hubUrl });
      await expectError(await call(`/${slug}`, t.alice), 404);
    });
  });
}
