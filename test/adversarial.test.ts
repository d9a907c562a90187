import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createToken } from '../src/auth/tokens.js';
import { createUser } from '../src/auth/users.js';
import { api, commitVia, createRepoVia, fileOp, startTestHub, withDb, type TestHub } from './helpers/hub.js';

const json = async (r: Response): Promise<any> => r.json();

describe('adversarial: tokens, ids, orgs, served content, audit', () => {
  let hub: TestHub;
  let t: TestHub['tokens'];
  let root: string;
  before(async () => {
    hub = await startTestHub();
    t = hub.tokens;
    root = await withDb(hub, async (db) => {
      const u = await createUser(db, { name: 'root', isAdmin: true });
      return (await createToken(db, u.id, { role: 'write', displayName: 'root' })).token;
    });
    await createRepoVia(hub, t.alice, 'vault', { private: true });
    await createRepoVia(hub, t.alice, 'open');
  });
  after(() => hub.close());

  test('forged, expired and revoked tokens get 401 Invalid credentials, never a repo answer', async () => {
    for (const bad of ['hf_' + 'A'.repeat(34), 'hf_', 'not-even-hf', t.alice + 'x']) {
      for (const path of ['/api/whoami-v2', '/api/models/alice/vault', '/api/models/alice/open', '/alice/open/resolve/main/.gitattributes']) {
        const r = await api(`${hub.url}${path}`, bad);
        assert.equal(r.status, 401, `${bad} ${path}`);
        assert.equal(r.headers.get('x-error-message'), 'Invalid credentials in Authorization header');
        assert.equal(r.headers.get('x-error-code'), 'InvalidCredentials');
      }
    }
    const expired = await withDb(hub, async (db) => {
      const alice = await db.selectFrom('users').select('id').where('name', '=', 'alice').executeTakeFirstOrThrow();
      return (await createToken(db, alice.id, { role: 'write', displayName: 'old', expiresAt: new Date(Date.now() - 1000).toISOString() })).token;
    });
    assert.equal((await api(`${hub.url}/api/models/alice/vault`, expired)).status, 401);
    const created = await json(await api(`${hub.url}/api/settings/tokens`, t.alice, { method: 'POST', body: JSON.stringify({ displayName: 'short-lived', role: 'read' }) }));
    assert.match(created.token, /^hf_[A-Za-z0-9]{34}$/);
    assert.equal((await api(`${hub.url}/api/models/alice/vault`, created.token)).status, 200);
    assert.equal((await api(`${hub.url}/api/settings/tokens/${created.id}`, t.alice, { method: 'DELETE' })).status, 200);
    assert.equal((await api(`${hub.url}/api/models/alice/vault`, created.token)).status, 401);
    // Expiry in the past is refused at creation; expiry in the future is reported.
    assert.equal((await api(`${hub.url}/api/settings/tokens`, t.alice, { method: 'POST', body: JSON.stringify({ displayName: 'x', expiresAt: '2001-01-01T00:00:00Z' }) })).status, 400);
    const soon = await json(await api(`${hub.url}/api/settings/tokens`, t.alice, { method: 'POST', body: JSON.stringify({ displayName: 'week', role: 'write', expiresInDays: 7 }) }));
    assert.ok(Date.parse(soon.expiresAt) > Date.now() + 6 * 86_400_000);
    const me = await json(await api(`${hub.url}/api/whoami-v2`, soon.token));
    assert.equal(me.auth.accessToken.expiresAt, soon.expiresAt);
  });

  test('tokens are stored hashed and listed without their values', async () => {
    const rows = await withDb(hub, (db) => db.selectFrom('tokens').select(['token_hash']).execute());
    const hashes = new Set(rows.map((r) => r.token_hash));
    for (const tok of [t.alice, t.bob, t.aliceRead]) {
      assert.ok(hashes.has(createHash('sha256').update(tok).digest('hex')));
      assert.ok(!rows.some((r) => r.token_hash.includes(tok)));
    }
    const listed = await (await api(`${hub.url}/api/settings/tokens`, t.alice)).text();
    assert.ok(!listed.includes(t.alice) && !listed.includes('hf_'), 'no token value in the listing');
    const names = (JSON.parse(listed) as any[]).map((x) => x.displayName);
    assert.ok(names.includes('alice-write') && names.includes('alice-read'));
    assert.ok(!names.includes('bob-write'));
  });

  test("another user's token id: 404, and the token keeps working", async () => {
    const aliceTokens = await json(await api(`${hub.url}/api/settings/tokens`, t.alice));
    const target = aliceTokens.find((x: any) => x.displayName === 'alice-read');
    const r = await api(`${hub.url}/api/settings/tokens/${target.id}`, t.bob, { method: 'DELETE' });
    assert.equal(r.status, 404);
    assert.equal((await api(`${hub.url}/api/whoami-v2`, t.aliceRead)).status, 200);
    assert.equal((await api(`${hub.url}/api/settings/tokens/${encodeURIComponent("' OR 1=1 --")}`, t.bob, { method: 'DELETE' })).status, 404);
  });

  test('a token used beyond its scope', async () => {
    // A read token cannot write, mint tokens or create orgs.
    assert.equal((await commitVia(hub, t.aliceRead, 'alice/open', [fileOp('x', 'x')])).status, 403);
    assert.equal((await api(`${hub.url}/api/settings/tokens`, t.aliceRead, { method: 'POST', body: JSON.stringify({ displayName: 'escalate', role: 'write' }) })).status, 403);
    assert.equal((await api(`${hub.url}/api/organizations`, t.aliceRead, { method: 'POST', body: JSON.stringify({ name: 'sneaky' }) })).status, 403);
    // A fine-grained token for reading alice/vault only.
    const fg = await json(await api(`${hub.url}/api/settings/tokens`, t.alice, {
      method: 'POST',
      body: JSON.stringify({ displayName: 'vault-reader', role: 'fineGrained', fineGrained: { scoped: [{ entity: { type: 'repo', repoType: 'model', name: 'alice/vault' }, permissions: ['repo.content.read'] }] } }),
    }));
    assert.equal((await api(`${hub.url}/api/models/alice/vault`, fg.token)).status, 200);
    assert.equal((await commitVia(hub, fg.token, 'alice/vault', [fileOp('x', 'x')])).status, 403);
    assert.equal((await api(`${hub.url}/api/models/alice/vault/settings`, fg.token, { method: 'PUT', body: JSON.stringify({ private: false }) })).status, 403);
    assert.equal((await api(`${hub.url}/api/settings/tokens`, fg.token)).status, 403);
    await createRepoVia(hub, t.alice, 'vault2', { private: true });
    assert.equal((await api(`${hub.url}/api/models/alice/vault2`, fg.token)).status, 404);
    assert.equal((await createRepoVia(hub, fg.token, 'made-by-fg')).status, 403);
    // Malformed scopes are refused.
    for (const bad of [{}, { scoped: 'x' }, { scoped: [{ entity: { type: 'repo', name: 'noslash' }, permissions: ['repo.write'] }] }, { global: ['root.everything'] }]) {
      const r = await api(`${hub.url}/api/settings/tokens`, t.alice, { method: 'POST', body: JSON.stringify({ displayName: 'bad', role: 'fineGrained', fineGrained: bad }) });
      assert.equal(r.status, 400, JSON.stringify(bad));
    }
    // A fine-grained token never exceeds its owner: bob's token scoped to alice's namespace reads nothing private.
    const bobFg = await json(await api(`${hub.url}/api/settings/tokens`, t.bob, {
      method: 'POST', body: JSON.stringify({ displayName: 'greedy', role: 'fineGrained', fineGrained: { global: ['repo.content.read', 'repo.write', 'repo.admin'] } }),
    }));
    assert.equal((await api(`${hub.url}/api/models/alice/vault`, bobFg.token)).status, 404);
    assert.equal((await commitVia(hub, bobFg.token, 'alice/open', [fileOp('x', 'x')])).status, 403);
  });

  test('organizations: names shared with users, roles cannot be escalated, the last admin stays', async () => {
    assert.equal((await api(`${hub.url}/api/organizations`, t.bob, { method: 'POST', body: JSON.stringify({ name: 'alice' }) })).status, 409);
    assert.equal((await api(`${hub.url}/api/organizations`, t.bob, { method: 'POST', body: JSON.stringify({ name: 'ALICE' }) })).status, 409);
    assert.equal((await api(`${hub.url}/api/organizations`, t.bob, { method: 'POST', body: JSON.stringify({ name: 'api' }) })).status, 400);
    assert.equal((await api(`${hub.url}/api/organizations`, t.bob, { method: 'POST', body: JSON.stringify({ name: '../x' }) })).status, 400);
    assert.equal((await api(`${hub.url}/api/organizations`, undefined, { method: 'POST', body: JSON.stringify({ name: 'anon-org' }) })).status, 401);
    assert.equal((await api(`${hub.url}/api/organizations`, t.bob, { method: 'POST', body: JSON.stringify({ name: 'bobcorp' }) })).status, 200);
    await withDb(hub, async (db) => {
      await assert.rejects(createUser(db, { name: 'BobCorp' }), /taken by an organization/);
    });
    assert.equal((await api(`${hub.url}/api/organizations/bobcorp/members/alice`, t.bob, { method: 'PUT', body: JSON.stringify({ role: 'write' }) })).status, 200);
    // alice (write) cannot make herself admin, nor remove bob.
    assert.equal((await api(`${hub.url}/api/organizations/bobcorp/members/alice`, t.alice, { method: 'PUT', body: JSON.stringify({ role: 'admin' }) })).status, 403);
    assert.equal((await api(`${hub.url}/api/organizations/bobcorp/members/bob`, t.alice, { method: 'DELETE' })).status, 403);
    assert.equal((await api(`${hub.url}/api/organizations/bobcorp/members/alice`, t.bob, { method: 'PUT', body: JSON.stringify({ role: 'owner' }) })).status, 400);
    assert.equal((await api(`${hub.url}/api/organizations/bobcorp/members/nobody`, t.bob, { method: 'PUT', body: JSON.stringify({ role: 'read' }) })).status, 404);
    // The last admin can neither leave nor be demoted.
    assert.equal((await api(`${hub.url}/api/organizations/bobcorp/members/bob`, t.bob, { method: 'PUT', body: JSON.stringify({ role: 'read' }) })).status, 409);
    assert.equal((await api(`${hub.url}/api/organizations/bobcorp/members/bob`, t.bob, { method: 'DELETE' })).status, 409);
    // Members may leave.
    assert.equal((await api(`${hub.url}/api/organizations/bobcorp/members/alice`, t.alice, { method: 'DELETE' })).status, 200);
    // An org with repos cannot be deleted; an empty one can.
    assert.equal((await createRepoVia(hub, t.bob, 'product', { organization: 'bobcorp' })).status, 200);
    assert.equal((await api(`${hub.url}/api/organizations/bobcorp`, t.bob, { method: 'DELETE' })).status, 409);
    assert.equal((await api(`${hub.url}/api/repos/delete`, t.bob, { method: 'DELETE', body: JSON.stringify({ name: 'product', organization: 'bobcorp' }) })).status, 200);
    assert.equal((await api(`${hub.url}/api/organizations/bobcorp`, t.alice, { method: 'DELETE' })).status, 403);
    assert.equal((await api(`${hub.url}/api/organizations/bobcorp`, t.bob, { method: 'DELETE' })).status, 200);
    assert.equal((await api(`${hub.url}/api/organizations/bobcorp`)).status, 404);
    // Repos cannot be created in a namespace nobody owns, not even by a site admin.
    assert.equal((await createRepoVia(hub, root, 'x', { organization: 'ghost-namespace' })).status, 404);
  });

  test('user content is served inert: HTML and SVG as text, sandboxed, not sniffed', async () => {
    await createRepoVia(hub, t.alice, 'content');
    const evilSvg = '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>';
    const evilHtml = '<html><body><script>alert(document.cookie)</script><img src=x onerror=alert(3)></body></html>';
    await commitVia(hub, t.alice, 'alice/content', [fileOp('logo.svg', evilSvg), fileOp('page.html', evilHtml), fileOp('a"b.txt', 'q')]);
    for (const f of ['logo.svg', 'page.html']) {
      const r = await api(`${hub.url}/alice/content/resolve/main/${f}`);
      assert.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8', f);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
      assert.match(r.headers.get('content-security-policy') ?? '', /sandbox/);
      assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      await r.text();
    }
    const q = await api(`${hub.url}/alice/content/resolve/main/${encodeURIComponent('a"b.txt')}?download=true`);
    assert.match(q.headers.get('content-disposition')!, /^attachment; filename\*=UTF-8''a%22b\.txt; filename="a_b\.txt";$/);
    await q.text();
  });

  test('audit log: who did what, readable by the right admins only', async () => {
    await api(`${hub.url}/api/organizations`, t.alice, { method: 'POST', body: JSON.stringify({ name: 'aliceorg' }) });
    await api(`${hub.url}/api/organizations/aliceorg/members/bob`, t.alice, { method: 'PUT', body: JSON.stringify({ role: 'read' }) });
    await createRepoVia(hub, t.alice, 'audited', { organization: 'aliceorg', private: true });
    await api(`${hub.url}/api/models/aliceorg/audited/settings`, t.alice, { method: 'PUT', body: JSON.stringify({ visibility: 'public' }) });
    const org = await json(await api(`${hub.url}/api/audit?namespace=aliceorg`, t.alice));
    assert.deepEqual(org.map((e: any) => e.action).reverse(), ['org.create', 'org.member.add', 'repo.create', 'repo.settings']);
    const settings = org[0];
    assert.equal(settings.actor, 'alice');
    assert.equal(settings.target, 'model:aliceorg/audited');
    assert.deepEqual(settings.details, { private: false });
    assert.match(settings.ip, /127\.0\.0\.1/);
    assert.match(settings.at, /Z$/);
    assert.equal((await api(`${hub.url}/api/audit?namespace=aliceorg`, t.bob)).status, 403, 'a reader is not an org admin');
    assert.equal((await api(`${hub.url}/api/audit`, t.alice)).status, 403, 'only site admins read everything');
    assert.equal((await api(`${hub.url}/api/audit`)).status, 401);
    const all = await json(await api(`${hub.url}/api/audit?limit=1000`, root));
    const actions = new Set(all.map((e: any) => e.action));
    for (const a of ['repo.create', 'token.create', 'token.revoke', 'org.create', 'org.member.add', 'org.member.remove', 'org.delete', 'repo.delete']) assert.ok(actions.has(a), a);
    const page = await api(`${hub.url}/api/audit?limit=2`, root);
    assert.match(page.headers.get('link')!, /^<http:\/\/.+cursor=.+>; rel="next"$/);
  });
});
