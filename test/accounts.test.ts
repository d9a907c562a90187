import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setPassword } from '../src/auth/accounts.js';
import { hashPassword, needsRehash, verifyPassword } from '../src/auth/passwords.js';
import { createToken } from '../src/auth/tokens.js';
import { createUser } from '../src/auth/users.js';
import type { Db } from '../src/db/database.js';
import { api, CLI, createRepoVia, startTestHub, testDialects, type TestHub, expectError, json, runCli } from './helpers/hub.js';



/** A browser-like session: the cookie as sent back, and the CSRF token from the login answer. */
interface Session {
  cookie: string;
  csrf: string;
  setCookie: string;
}

function postJson(url: string, body: unknown, headers: Record<string, string> = {}, method = 'POST'): Promise<Response> {
  return fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** fetch with the session cookie (and the CSRF header when `csrf` is given). */
function withCookie(url: string, s: Pick<Session, 'cookie'>, init: RequestInit & { csrf?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('cookie', s.cookie);
  if (init.csrf !== undefined) headers.set('x-csrf-token', init.csrf);
  if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return fetch(url, { ...init, headers });
}

async function login(hub: TestHub, username: string, password: string): Promise<Session> {
  const r = await postJson(`${hub.url}/api/login`, { username, password });
  assert.equal(r.status, 200, await r.clone().text());
  const setCookie = r.headers.getSetCookie().find((c) => c.startsWith('orchard_session='));
  assert.ok(setCookie, 'login sets the session cookie');
  const body = await json(r);
  return { cookie: setCookie.split(';')[0]!, csrf: body.csrfToken, setCookie };
}

function sessionHash(s: Session): string {
  return createHash('sha256').update(s.cookie.slice('orchard_session='.length)).digest('hex');
}

async function auditActions(db: Db, action: string): Promise<{ namespace: string | null; target: string | null; actor: string | null; details: string }[]> {
  return db.selectFrom('audit_log').select(['namespace', 'target', 'actor', 'details']).where('action', '=', action).orderBy('at').execute();
}

const orchard = (args: string[], input?: string): ReturnType<typeof runCli> => runCli(args, input === undefined ? {} : { input });

describe('password hashing', () => {
  test('scrypt with its parameters and salt in the stored string, verified in constant time', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    assert.match(a, /^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    assert.notEqual(a, b, 'a fresh salt each time');
    assert.ok(!a.includes('correct horse'));
    assert.equal(await verifyPassword('correct horse', a), true);
    assert.equal(await verifyPassword('correct horsE', a), false);
    assert.equal(await verifyPassword('correct horse', 'not a hash'), false);
    assert.equal(await verifyPassword('correct horse', '$scrypt$ln=40,r=8,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA'), false, 'absurd parameters are refused, not computed');
    // Older, cheaper parameters still verify and are flagged for an upgrade.
    const old = await hashPassword('correct horse', { ln: 12, r: 8, p: 1 });
    assert.equal(await verifyPassword('correct horse', old), true);
    assert.equal(needsRehash(old), true);
    assert.equal(needsRehash(a), false);
  });
});

for (const dialect of testDialects()) {
  describe(`users and sign-in (${dialect})`, () => {
    let hub: TestHub;
    let db: Db;
    /** write token of the site admin `root` */
    let rootToken: string;
    let rootSession: Session;
    const ROOT_PW = 'root-password-1';

    const adminPost = (path: string, body: unknown, method = 'POST'): Promise<Response> =>
      api(`${hub.url}${path}`, rootToken, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const newUser = async (name: string, password?: string): Promise<any> => {
      const r = await adminPost('/api/admin/users', { name, ...(password ? { password } : {}) });
      assert.equal(r.status, 200, await r.clone().text());
      return json(r);
    };

    before(async () => {
      hub = await startTestHub({ dialect });
      db = hub.running.hub.db;
      const root = await createUser(db, { name: 'root', isAdmin: true });
      rootToken = (await createToken(db, root.id, { role: 'write', displayName: 'root-write' })).token;
      await setPassword(db, root.id, ROOT_PW);
      rootSession = await login(hub, 'root', ROOT_PW);
    });
    after(() => hub.close());

    test('admin API: create users with passwords; refused to non-admins (403) and anonymous (401)', async () => {
      const carol = await newUser('carol', 'carol-password');
      assert.equal(carol.name, 'carol');
      assert.equal(carol.hasPassword, true);
      assert.equal(carol.disabled, false);
      assert.equal(carol.isAdmin, false);
      assert.equal('passwordHash' in carol || 'password_hash' in carol, false, 'the hash never leaves the server');
      const list = await json<any[]>(await api(`${hub.url}/api/admin/users`, rootToken));
      assert.deepEqual(list.map((u) => u.name).sort(), ['alice', 'bob', 'carol', 'root']);
      assert.equal(list.find((u) => u.name === 'alice').hasPassword, false);

      await expectError(await api(`${hub.url}/api/admin/users`), 401);
      await expectError(await api(`${hub.url}/api/admin/users`, hub.tokens.alice), 403, 'Forbidden');
      const rootRead = (await createToken(db, (await db.selectFrom('users').select('id').where('name', '=', 'root').executeTakeFirstOrThrow()).id, { role: 'read', displayName: 'r' })).token;
      await expectError(await api(`${hub.url}/api/admin/users`, rootRead), 403, 'Forbidden');
      for (const [path, method, body] of [
        ['/api/admin/users', 'POST', { name: 'mallory', password: 'mallory-pass' }],
        ['/api/admin/users/bob', 'PUT', { disabled: true }],
        ['/api/admin/users/bob', 'DELETE', {}],
        ['/api/admin/invites', 'POST', {}],
        ['/api/admin/settings', 'PUT', { signup: 'open' }],
        ['/api/admin/settings', 'GET', undefined],
      ] as const) {
        const init = { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) };
        await expectError(await api(`${hub.url}${path}`, hub.tokens.alice, init), 403, 'Forbidden');
        await expectError(await api(`${hub.url}${path}`, undefined, init), 401);
      }
      assert.equal(await db.selectFrom('users').select('id').where('name', '=', 'mallory').executeTakeFirst(), undefined);

      // Bad input from an admin.
      await expectError(await adminPost('/api/admin/users', { name: 'dave', password: 'short' }), 400, 'BadRequest');
      await expectError(await adminPost('/api/admin/users', { name: 'bad name' }), 400, 'BadRequest');
      await expectError(await adminPost('/api/admin/users', { name: 'Carol' }), 409, 'Conflict');
      await expectError(await adminPost('/api/admin/users', { name: 'eve', email: 'not-an-email' }), 400, 'BadRequest');
      await expectError(await adminPost('/api/admin/users', { name: 'eve', admin: 'yes' }), 400, 'BadRequest');
      await expectError(await adminPost('/api/admin/users/bob', { disabled: 'true' }, 'PUT'), 400, 'BadRequest');
      await expectError(await adminPost('/api/admin/users/bob', {}, 'PUT'), 400, 'BadRequest');
      await expectError(await adminPost('/api/admin/users/nobody', { disabled: true }, 'PUT'), 404, 'NotFound');
      await expectError(await adminPost('/api/admin/users/root', { disabled: true }, 'PUT'), 409, 'Conflict');
      await expectError(await adminPost('/api/admin/users/root', { admin: false }, 'PUT'), 409, 'Conflict');
      await expectError(await api(`${hub.url}/api/admin/users/root`, rootToken, { method: 'DELETE' }), 409, 'Conflict');
      await expectError(await api(`${hub.url}/api/admin/users`, rootToken, { method: 'DELETE' }), 405);
      await expectError(await api(`${hub.url}/api/admin/nothing`, rootToken), 404);
      assert.equal((await auditActions(db, 'user.create')).filter((e) => e.target === 'carol' && e.actor === 'root').length, 1);
    });

    test('password hashes in the database are not the password and differ for the same password', async () => {
      await newUser('same1', 'the same password');
      await newUser('same2', 'the same password');
      const rows = await db.selectFrom('users').select(['name', 'password_hash']).where('name', 'in', ['same1', 'same2']).execute();
      assert.equal(rows.length, 2);
      for (const r of rows) {
        assert.ok(r.password_hash);
        assert.ok(!r.password_hash.includes('the same password'));
        assert.match(r.password_hash, /^\$scrypt\$/);
      }
      assert.notEqual(rows[0]!.password_hash, rows[1]!.password_hash);
    });

    test('login: cookie flags, the CSRF token, GET /api/session and whoami-v2 with the cookie', async () => {
      await newUser('dora', 'dora-password');
      const s = await login(hub, 'dora', 'dora-password');
      assert.match(s.setCookie, /^orchard_session=[A-Za-z0-9_-]{43};/);
      assert.match(s.setCookie, /; HttpOnly/);
      assert.match(s.setCookie, /; SameSite=Lax/);
      assert.match(s.setCookie, /; Path=\//);
      const maxAge = Number(/; Max-Age=(\d+)/.exec(s.setCookie)?.[1]);
      assert.ok(maxAge > 30 * 86_400 - 60 && maxAge <= 30 * 86_400, `30 days, got ${maxAge}`);
      assert.match(s.setCookie, /; Expires=\w{3}, \d\d \w{3} \d{4} /);
      assert.doesNotMatch(s.setCookie, /Secure/, 'plain http: no Secure flag');
      assert.match(s.csrf, /^[A-Za-z0-9_-]{43}$/);
      // Only the cookie's hash is stored.
      const stored = await db.selectFrom('sessions').selectAll().where('id_hash', '=', sessionHash(s)).executeTakeFirst();
      assert.ok(stored);
      assert.equal(await db.selectFrom('sessions').select('id_hash').where('id_hash', '=', s.cookie.slice('orchard_session='.length)).executeTakeFirst(), undefined);

      const me = await json(await withCookie(`${hub.url}/api/session`, s));
      assert.equal(me.name, 'dora');
      assert.equal(me.csrfToken, s.csrf);
      const who = await json(await withCookie(`${hub.url}/api/whoami-v2`, s));
      assert.equal(who.name, 'dora');
      assert.equal(who.auth.type, 'session');
      // Names are matched regardless of case, like everywhere else.
      await login(hub, 'DORA', 'dora-password');
      // A token wins over a cookie; a missing session is 401.
      assert.equal((await json(await withCookie(`${hub.url}/api/whoami-v2`, s, { headers: { authorization: `Bearer ${hub.tokens.bob}` } }))).name, 'bob');
      await expectError(await api(`${hub.url}/api/session`), 401);
      await expectError(await api(`${hub.url}/api/session`, hub.tokens.alice), 401);
      await expectError(await withCookie(`${hub.url}/api/session`, { cookie: 'orchard_session=forged' }), 401);
      await expectError(await withCookie(`${hub.url}/api/session`, { cookie: `orchard_session=${'A'.repeat(43)}` }), 401);
    });

    test('login failures: wrong password and unknown user get the same 401; both are audited', async () => {
      await newUser('erin', 'erin-password');
      const wrong = await postJson(`${hub.url}/api/login`, { username: 'erin', password: 'not-her-password' });
      const unknown = await postJson(`${hub.url}/api/login`, { username: 'nobody-here', password: 'not-her-password' });
      const noPassword = await postJson(`${hub.url}/api/login`, { username: 'alice', password: 'whatever-pass' });
      const bodies = [];
      for (const r of [wrong, unknown, noPassword]) {
        assert.equal(r.headers.getSetCookie().length, 0);
        bodies.push({ status: r.status, code: r.headers.get('x-error-code'), message: r.headers.get('x-error-message'), body: await r.text() });
      }
      assert.equal(bodies[0]!.status, 401);
      assert.deepEqual(bodies[1], bodies[0]);
      assert.deepEqual(bodies[2], bodies[0]);
      const failed = await auditActions(db, 'user.login.failed');
      assert.ok(failed.some((e) => e.namespace === 'erin' && JSON.parse(e.details).reason === 'wrong password'));
      assert.ok(failed.some((e) => e.namespace === null && JSON.parse(e.details).reason === 'unknown user'));
      assert.ok(failed.every((e) => e.actor === null));
      assert.ok(!failed.some((e) => e.details.includes('not-her-password')), 'passwords are never logged');
    });

    test('malformed sign-in bodies: 400, 413 and 415, never a 500', async () => {
      const url = `${hub.url}/api/login`;
      await expectError(await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' }), 400);
      await expectError(await postJson(url, ['erin', 'erin-password']), 400);
      await expectError(await postJson(url, { username: 'erin' }), 400);
      await expectError(await postJson(url, { username: 42, password: 'erin-password' }), 400);
      await expectError(await postJson(url, { username: 'erin', password: { x: 1 } }), 400);
      await expectError(await postJson(url, { username: 'erin', password: 'x'.repeat(5 * 1024 * 1024) }), 413);
      // A cross-site HTML form can only send form encodings: refused, so it cannot sign a visitor in.
      await expectError(await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ username: 'erin', password: 'erin-password' }) }), 415);
      await expectError(await fetch(url, { method: 'POST', body: 'username=erin&password=erin-password', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
      await expectError(await fetch(url), 405);
      await expectError(await fetch(`${hub.url}/api/session`, { method: 'POST' }), 405);
    });

    test('CSRF: cookie-authenticated writes need X-CSRF-Token; reads and token requests do not', async () => {
      await newUser('fay', 'fay-password');
      const s = await login(hub, 'fay', 'fay-password');
      const create = (csrf?: string, name = 'csrf-model'): Promise<Response> =>
        withCookie(`${hub.url}/api/repos/create`, s, { method: 'POST', body: JSON.stringify({ name, type: 'model' }), ...(csrf !== undefined ? { csrf } : {}) });
      await expectError(await create(), 403, 'Forbidden');
      await expectError(await create('wrong'), 403, 'Forbidden');
      await expectError(await create(s.csrf.slice(0, -1)), 403, 'Forbidden');
      await expectError(await create(''), 403, 'Forbidden');
      // Another session's token does not fit this one.
      const other = await login(hub, 'fay', 'fay-password');
      await expectError(await create(other.csrf), 403, 'Forbidden');
      assert.equal((await api(`${hub.url}/api/models/fay/csrf-model`, hub.tokens.alice)).status, 404, 'nothing was created');
      const ok = await create(s.csrf);
      assert.equal(ok.status, 200, await ok.clone().text());
      assert.equal((await json(ok)).name, 'fay/csrf-model');
      // Reads with the cookie need no CSRF header.
      assert.equal((await withCookie(`${hub.url}/api/models/fay/csrf-model`, s)).status, 200);
      // The same check on every other write: a DELETE.
      await expectError(await withCookie(`${hub.url}/api/repos/delete`, s, { method: 'DELETE', body: JSON.stringify({ name: 'fay/csrf-model' }) }), 403, 'Forbidden');
      // Token-authenticated requests are unaffected (and a cookie next to a token is ignored).
      assert.equal((await createRepoVia(hub, hub.tokens.alice, 'token-made')).status, 200);
      const both = await withCookie(`${hub.url}/api/repos/create`, s, { method: 'POST', headers: { authorization: `Bearer ${hub.tokens.alice}` }, body: JSON.stringify({ name: 'alice/with-both' }) });
      assert.equal(both.status, 200);
      // A dead cookie makes the caller anonymous: 401, not a CSRF complaint.
      await expectError(await withCookie(`${hub.url}/api/repos/create`, { cookie: `orchard_session=${'B'.repeat(43)}` }, { method: 'POST', body: JSON.stringify({ name: 'fay/x' }) }), 401);
    });

    test('logout ends the session and clears the cookie; it needs the CSRF token too', async () => {
      await newUser('gus', 'gus-password');
      const s = await login(hub, 'gus', 'gus-password');
      await expectError(await withCookie(`${hub.url}/api/logout`, s, { method: 'POST' }), 403);
      assert.equal((await withCookie(`${hub.url}/api/session`, s)).status, 200);
      const out = await withCookie(`${hub.url}/api/logout`, s, { method: 'POST', csrf: s.csrf });
      assert.equal(out.status, 200);
      const cleared = out.headers.getSetCookie()[0]!;
      assert.match(cleared, /^orchard_session=;/);
      assert.match(cleared, /Max-Age=0/);
      await expectError(await withCookie(`${hub.url}/api/session`, s), 401);
      await expectError(await withCookie(`${hub.url}/api/repos/create`, s, { method: 'POST', csrf: s.csrf, body: JSON.stringify({ name: 'gus/after' }) }), 401);
      assert.equal(await db.selectFrom('sessions').select('id_hash').where('id_hash', '=', sessionHash(s)).executeTakeFirst(), undefined);
      // Logging out again, or without a session, is harmless.
      assert.equal((await withCookie(`${hub.url}/api/logout`, s, { method: 'POST' })).status, 200);
    });

    test('an expired session is refused and removed', async () => {
      await newUser('hal', 'hal-password');
      const s = await login(hub, 'hal', 'hal-password');
      assert.equal((await withCookie(`${hub.url}/api/session`, s)).status, 200);
      await db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id_hash', '=', sessionHash(s)).execute();
      await expectError(await withCookie(`${hub.url}/api/session`, s), 401);
      await expectError(await withCookie(`${hub.url}/api/whoami-v2`, s), 401);
      assert.equal(await db.selectFrom('sessions').select('id_hash').where('id_hash', '=', sessionHash(s)).executeTakeFirst(), undefined);
    });

    test('disabled users: no login, and their tokens and sessions stop at once; enabling restores the token', async () => {
      await newUser('ivy', 'ivy-password');
      const ivy = await db.selectFrom('users').select('id').where('name', '=', 'ivy').executeTakeFirstOrThrow();
      const token = (await createToken(db, ivy.id, { role: 'write', displayName: 'ivy' })).token;
      const s = await login(hub, 'ivy', 'ivy-password');
      assert.equal((await api(`${hub.url}/api/whoami-v2`, token)).status, 200);
      // Disabled through a session of the site admin (with its CSRF token).
      const r = await withCookie(`${hub.url}/api/admin/users/ivy`, rootSession, { method: 'PUT', csrf: rootSession.csrf, body: JSON.stringify({ disabled: true }) });
      assert.equal(r.status, 200, await r.clone().text());
      assert.equal((await json(r)).disabled, true);
      await expectError(await api(`${hub.url}/api/whoami-v2`, token), 401);
      await expectError(await withCookie(`${hub.url}/api/session`, s), 401);
      const again = await postJson(`${hub.url}/api/login`, { username: 'ivy', password: 'ivy-password' });
      const body = await expectError(again, 401);
      assert.equal(body.error, 'Invalid username or password');
      assert.ok((await auditActions(db, 'user.disable')).some((e) => e.target === 'ivy' && e.actor === 'root'));
      // Enabling brings the token back; the ended session stays ended.
      assert.equal((await adminPost('/api/admin/users/ivy', { disabled: false }, 'PUT')).status, 200);
      assert.equal((await api(`${hub.url}/api/whoami-v2`, token)).status, 200);
      await expectError(await withCookie(`${hub.url}/api/session`, s), 401);
      assert.ok((await auditActions(db, 'user.enable')).some((e) => e.target === 'ivy'));
    });

    test('admin flag: granted and revoked, audited', async () => {
      await newUser('jo', 'jo-password');
      const up = await json(await adminPost('/api/admin/users/jo', { admin: true }, 'PUT'));
      assert.equal(up.isAdmin, true);
      const jo = await login(hub, 'jo', 'jo-password');
      assert.equal((await withCookie(`${hub.url}/api/admin/users`, jo)).status, 200, 'a site admin with a session');
      assert.equal((await json(await adminPost('/api/admin/users/jo', { admin: false }, 'PUT'))).isAdmin, false);
      await expectError(await withCookie(`${hub.url}/api/admin/users`, jo), 403);
      const events = await auditActions(db, 'user.admin');
      assert.deepEqual(events.filter((e) => e.target === 'jo').map((e) => JSON.parse(e.details).admin), [true, false]);
    });

    test('deleting users: refused with 409 and a count while they own repos; then tokens and sessions are gone', async () => {
      await newUser('kim', 'kim-password');
      const kimId = (await db.selectFrom('users').select('id').where('name', '=', 'kim').executeTakeFirstOrThrow()).id;
      const token = (await createToken(db, kimId, { role: 'write', displayName: 'kim' })).token;
      const s = await login(hub, 'kim', 'kim-password');
      assert.equal((await createRepoVia(hub, token, 'one', { organization: 'kim' })).status, 200);
      assert.equal((await createRepoVia(hub, token, 'two', { organization: 'kim', type: 'dataset' })).status, 200);
      const refused = await expectError(await api(`${hub.url}/api/admin/users/kim`, rootToken, { method: 'DELETE' }), 409, 'Conflict');
      assert.equal(refused.repos, 2);
      assert.match(refused.error, /owns 2 repos/);
      for (const [type, name] of [['model', 'kim/one'], ['dataset', 'kim/two']]) {
        const del = await api(`${hub.url}/api/repos/delete`, token, { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, type }) });
        assert.equal(del.status, 200);
      }
      const ok = await api(`${hub.url}/api/admin/users/Kim`, rootToken, { method: 'DELETE' });
      assert.equal(ok.status, 200, await ok.clone().text());
      await expectError(await api(`${hub.url}/api/whoami-v2`, token), 401);
      await expectError(await withCookie(`${hub.url}/api/session`, s), 401);
      assert.equal(await db.selectFrom('tokens').select('id').where('user_id', '=', kimId).executeTakeFirst(), undefined);
      await expectError(await api(`${hub.url}/api/admin/users/kim`, rootToken, { method: 'DELETE' }), 404);
      assert.ok((await auditActions(db, 'user.delete')).some((e) => e.target === 'kim'));
      // The name is free again.
      await newUser('kim');
    });

    test('password change: checks the old one, keeps this session, ends the others', async () => {
      await newUser('lee', 'lee-password-1');
      const leeId = (await db.selectFrom('users').select('id').where('name', '=', 'lee').executeTakeFirstOrThrow()).id;
      const s1 = await login(hub, 'lee', 'lee-password-1');
      const s2 = await login(hub, 'lee', 'lee-password-1');
      const change = (body: unknown, csrf: string | null = s1.csrf): Promise<Response> =>
        withCookie(`${hub.url}/api/settings/password`, s1, { method: 'POST', body: JSON.stringify(body), ...(csrf !== null ? { csrf } : {}) });
      await expectError(await change({ oldPassword: 'lee-password-1', newPassword: 'lee-password-2' }, null), 403);
      await expectError(await change({ oldPassword: 'wrong-password', newPassword: 'lee-password-2' }), 403, 'Forbidden');
      await expectError(await change({ oldPassword: 'lee-password-1', newPassword: 'short' }), 400, 'BadRequest');
      await expectError(await change({ oldPassword: 'lee-password-1' }), 400, 'BadRequest');
      await expectError(await change(['lee-password-1', 'lee-password-2']), 400, 'BadRequest');
      const ok = await change({ oldPassword: 'lee-password-1', newPassword: 'lee-password-2' });
      assert.equal(ok.status, 200, await ok.clone().text());
      assert.equal((await withCookie(`${hub.url}/api/session`, s1)).status, 200, 'the session in use stays');
      await expectError(await withCookie(`${hub.url}/api/session`, s2), 401);
      await expectError(await postJson(`${hub.url}/api/login`, { username: 'lee', password: 'lee-password-1' }), 401);
      await login(hub, 'lee', 'lee-password-2');
      // With tokens: write yes (and every session ends), read no, none 401.
      const write = (await createToken(db, leeId, { role: 'write', displayName: 'w' })).token;
      const read = (await createToken(db, leeId, { role: 'read', displayName: 'r' })).token;
      const viaToken = (token: string | undefined, body: unknown): Promise<Response> =>
        api(`${hub.url}/api/settings/password`, token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await expectError(await viaToken(read, { oldPassword: 'lee-password-2', newPassword: 'lee-password-3' }), 403);
      await expectError(await viaToken(undefined, { oldPassword: 'lee-password-2', newPassword: 'lee-password-3' }), 401);
      assert.equal((await viaToken(write, { oldPassword: 'lee-password-2', newPassword: 'lee-password-3' })).status, 200);
      await expectError(await withCookie(`${hub.url}/api/session`, s1), 401);
      await login(hub, 'lee', 'lee-password-3');
      // Without a password there is nothing to check against.
      await expectError(await viaToken(hub.tokens.bob, { oldPassword: 'anything-1', newPassword: 'bob-password' }), 403);
      assert.equal((await auditActions(db, 'user.password.change')).filter((e) => e.target === 'lee').length, 2);
    });

    test('sign-up: closed by default, invite-only with single-use codes, or open', async () => {
      const signup = (body: unknown): Promise<Response> => postJson(`${hub.url}/api/signup`, body);
      assert.deepEqual(await json(await api(`${hub.url}/api/admin/settings`, rootToken)), { signup: 'closed' });
      await expectError(await signup({ username: 'newbie', password: 'newbie-password' }), 403, 'Forbidden');

      await expectError(await adminPost('/api/admin/settings', { signup: 'sometimes' }, 'PUT'), 400);
      assert.deepEqual(await json(await adminPost('/api/admin/settings', { signup: 'invite' }, 'PUT')), { signup: 'invite' });
      await expectError(await signup({ username: 'newbie', password: 'newbie-password' }), 403);
      await expectError(await signup({ username: 'newbie', password: 'newbie-password', invite: 'made-up' }), 403);
      const invite = await json(await adminPost('/api/admin/invites', { days: 2 }));
      assert.match(invite.code, /^[A-Za-z0-9_-]{32}$/);
      assert.ok(Date.parse(invite.expiresAt) > Date.now() + 86_400_000);
      await expectError(await adminPost('/api/admin/invites', { days: 0 }), 400);
      await expectError(await adminPost('/api/admin/invites', { days: 'many' }), 400);
      // Invites are stored hashed.
      assert.equal(await db.selectFrom('invites').select('code_hash').where('code_hash', '=', invite.code).executeTakeFirst(), undefined);
      // A bad name or password does not use up the code.
      await expectError(await signup({ username: 'bad name', password: 'newbie-password', invite: invite.code }), 400);
      await expectError(await signup({ username: 'newbie', password: 'short', invite: invite.code }), 400);
      await expectError(await signup({ username: 'ALICE', password: 'newbie-password', invite: invite.code }), 409, 'Conflict');
      const ok = await signup({ username: 'newbie', password: 'newbie-password', email: 'n@example.org', invite: invite.code });
      assert.equal(ok.status, 200, await ok.clone().text());
      const cookie = ok.headers.getSetCookie()[0]!.split(';')[0]!;
      assert.equal((await json(await withCookie(`${hub.url}/api/session`, { cookie }))).name, 'newbie', 'signed in at once');
      await expectError(await signup({ username: 'second', password: 'second-password', invite: invite.code }), 403, 'Forbidden');
      // An expired code is refused.
      const late = await json(await adminPost('/api/admin/invites', {}));
      await db.updateTable('invites').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('used_by', 'is', null).execute();
      await expectError(await signup({ username: 'second', password: 'second-password', invite: late.code }), 403);

      assert.equal((await adminPost('/api/admin/settings', { signup: 'open' }, 'PUT')).status, 200);
      const open = await signup({ username: 'opener', password: 'opener-password' });
      assert.equal(open.status, 200);
      assert.equal((await json(open)).name, 'opener');
      await login(hub, 'opener', 'opener-password');
      await expectError(await signup({ username: 'Opener', password: 'opener-password' }), 409, 'Conflict');
      await expectError(await signup({ username: 'api', password: 'opener-password' }), 400);
      await expectError(await signup({ username: 'x', password: 'opener-password', email: 'nope' }), 400);
      await expectError(await signup({ password: 'opener-password' }), 400);
      await expectError(await fetch(`${hub.url}/api/signup`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }), 415);
      assert.equal((await adminPost('/api/admin/settings', { signup: 'closed' }, 'PUT')).status, 200);
      await expectError(await signup({ username: 'late', password: 'late-password' }), 403);

      const settings = await auditActions(db, 'settings.signup');
      assert.deepEqual(settings.map((e) => JSON.parse(e.details).to), ['invite', 'open', 'closed']);
      assert.equal((await auditActions(db, 'invite.create')).length, 2);
      assert.ok((await auditActions(db, 'user.signup')).some((e) => e.target === 'newbie' && JSON.parse(e.details).mode === 'invite'));
    });

    if (dialect === 'sqlite') {
      test('CLI: user passwd from stdin, disable / enable, invite create, settings set, delete', async () => {
        const data = ['--data', hub.dataDir];
        const short = await orchard(['user', 'passwd', 'alice', ...data], 'short\n');
        assert.equal(short.code, 1);
        assert.match(short.stderr, /at least 8/);
        const pw = await orchard(['user', 'passwd', 'alice', ...data], 'alice-password\n');
        assert.equal(pw.code, 0, pw.stderr);
        const s = await login(hub, 'alice', 'alice-password');
        assert.equal((await orchard(['user', 'disable', 'alice', ...data])).code, 0);
        await expectError(await api(`${hub.url}/api/whoami-v2`, hub.tokens.alice), 401);
        await expectError(await withCookie(`${hub.url}/api/session`, s), 401);
        assert.equal((await orchard(['user', 'enable', 'alice', ...data])).code, 0);
        assert.equal((await api(`${hub.url}/api/whoami-v2`, hub.tokens.alice)).status, 200);
        assert.equal((await orchard(['user', 'disable', 'nobody', ...data])).code, 1);

        const mode = await orchard(['settings', 'set', 'signup', 'invite', ...data]);
        assert.equal(mode.code, 0, mode.stderr);
        assert.equal((await orchard(['settings', 'set', 'signup', 'maybe', ...data])).code, 1);
        assert.equal((await orchard(['settings', 'set', 'colour', 'red', ...data])).code, 2);
        const inv = await orchard(['invite', 'create', '--days', '3', ...data]);
        assert.equal(inv.code, 0, inv.stderr);
        assert.match(inv.stdout, /^[A-Za-z0-9_-]{32}\n$/);
        assert.equal((await orchard(['invite', 'create', '--days', 'x', ...data])).code, 1);
        const r = await postJson(`${hub.url}/api/signup`, { username: 'clier', password: 'clier-password', invite: inv.stdout.trim() });
        assert.equal(r.status, 200, await r.clone().text());

        assert.equal((await createRepoVia(hub, hub.tokens.bob, 'kept', { organization: 'bob' })).status, 200);
        const del = await orchard(['user', 'delete', 'bob', ...data]);
        assert.equal(del.code, 1);
        assert.match(del.stderr, /owns 1 repo/);
        assert.equal((await orchard(['user', 'delete', 'clier', ...data])).code, 0);
        await expectError(await withCookie(`${hub.url}/api/session`, { cookie: r.headers.getSetCookie()[0]!.split(';')[0]! }), 401);
        const cliEvents = await db.selectFrom('audit_log').select('action').where('actor', '=', 'orchard-cli').execute();
        for (const a of ['user.password.set', 'user.disable', 'user.enable', 'settings.signup', 'invite.create', 'user.delete']) {
          assert.ok(cliEvents.some((e) => e.action === a), `${a} audited`);
        }
      });

      test('the cookie is Secure when the hub is reached over https', async () => {
        const proxied = await startTestHub({ env: { ORCHARD_TRUST_PROXY: 'true' } });
        try {
          const pdb = proxied.running.hub.db;
          const u = await createUser(pdb, { name: 'sec' });
              await setPassword(pdb, u.id, 'sec-password');
          const r = await postJson(`${proxied.url}/api/login`, { username: 'sec', password: 'sec-password' }, { 'x-forwarded-proto': 'https' });
          assert.equal(r.status, 200);
          assert.match(r.headers.getSetCookie()[0]!, /; Secure/);
        } finally {
          await proxied.close();
        }
      });
    }
  });
}
