import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createToken } from '../src/auth/tokens.js';
import { createUser } from '../src/auth/users.js';
import { api, commitVia, createRepoVia, fileOp, startTestHub, withDb, type TestHub } from './helpers/hub.js';

/**
 * The access-control matrix: every door × every kind of caller × public,
 * private and gated repos. Each expected status is written here by hand, not
 * computed by the code under test.
 */
type Caller = 'anon' | 'outsider' | 'reader' | 'writer' | 'orgAdmin' | 'siteAdmin' | 'adminReadTok' | 'fgRepoRead' | 'fgOrgWrite';
const CALLERS: Caller[] = ['anon', 'outsider', 'reader', 'writer', 'orgAdmin', 'siteAdmin', 'adminReadTok', 'fgRepoRead', 'fgOrgWrite'];
type Row = Record<Caller, number>;
const row = (...s: number[]): Row => Object.fromEntries(CALLERS.map((c, i) => [c, s[i]!])) as Row;

//                              anon outsider reader writer orgAdmin siteAdmin adminReadTok fgRepoRead fgOrgWrite
const PUBLIC_READ = /*        */ row(200, 200, 200, 200, 200, 200, 200, 200, 200);
const PRIVATE_READ = /*       */ row(401, 404, 200, 200, 200, 200, 200, 200, 200);
const GATED_META = /*         */ row(200, 200, 200, 200, 200, 200, 200, 200, 200);
// fgRepoRead is scoped to acme/priv only: on the gated repo it is a stranger with a token.
const GATED_CONTENT = /*      */ row(401, 403, 200, 200, 200, 200, 200, 403, 200);
const PUBLIC_WRITE = /*       */ row(401, 403, 403, 200, 200, 200, 403, 403, 200);
const PRIVATE_WRITE = /*      */ row(401, 404, 403, 200, 200, 200, 403, 403, 200);
const PUBLIC_ADMIN = /*       */ row(401, 403, 403, 403, 200, 200, 403, 403, 403);
const PRIVATE_ADMIN = /*      */ row(401, 404, 403, 403, 200, 200, 403, 403, 403);
// Listing: 1 = the repo is in the caller's search results, 0 = it is not.
const PRIVATE_LISTED = /*     */ row(0, 0, 1, 1, 1, 1, 1, 1, 1);

describe('access-control matrix', () => {
  let hub: TestHub;
  const tok = {} as Record<Exclude<Caller, 'anon'>, string>;

  before(async () => {
    hub = await startTestHub();
    await withDb(hub, async (db) => {
      const make = async (name: string, admin = false): Promise<string> => {
        const u = await createUser(db, { name, isAdmin: admin });
        return (await createToken(db, u.id, { role: 'write', displayName: `${name}-write` })).token;
      };
      tok.outsider = hub.tokens.bob;
      tok.reader = await make('rita');
      tok.writer = await make('will');
      tok.orgAdmin = await make('olga');
      tok.siteAdmin = await make('root', true);
      const olga = (await db.selectFrom('users').select('id').where('name', '=', 'olga').executeTakeFirstOrThrow()).id;
      tok.adminReadTok = (await createToken(db, olga, { role: 'read', displayName: 'olga-read' })).token;
      tok.fgRepoRead = (await createToken(db, olga, {
        role: 'fineGrained', displayName: 'olga-fg-repo',
        scopes: { global: [], scoped: [{ entity: { type: 'repo', repoType: 'model', name: 'acme/priv' }, permissions: ['repo.content.read'] }] },
      })).token;
      tok.fgOrgWrite = (await createToken(db, olga, {
        role: 'fineGrained', displayName: 'olga-fg-org',
        scopes: { global: [], scoped: [{ entity: { type: 'org', name: 'acme' }, permissions: ['repo.content.read', 'repo.write'] }] },
      })).token;
    });
    // The org and its members, through the API.
    const created = await api(`${hub.url}/api/organizations`, tok.orgAdmin, { method: 'POST', body: JSON.stringify({ name: 'acme', fullname: 'Acme Labs' }) });
    assert.equal(created.status, 200, await created.clone().text());
    for (const [user, role] of [['rita', 'read'], ['will', 'write']]) {
      const r = await api(`${hub.url}/api/organizations/acme/members/${user}`, tok.orgAdmin, { method: 'PUT', body: JSON.stringify({ role }) });
      assert.equal(r.status, 200, await r.text());
    }
    for (const [name, priv] of [['pub', false], ['priv', true], ['gated', false]] as const) {
      const r = await createRepoVia(hub, tok.writer, name, { organization: 'acme', private: priv });
      assert.equal(r.status, 200, await r.text());
      assert.equal((await commitVia(hub, tok.writer, `acme/${name}`, [fileOp('file.txt', `content of ${name}`)])).status, 200);
    }
    const g = await api(`${hub.url}/api/models/acme/gated/settings`, tok.orgAdmin, { method: 'PUT', body: JSON.stringify({ gated: 'manual' }) });
    assert.equal(g.status, 200);
  });
  after(() => hub.close());

  async function check(door: string, expected: Row, request: (repo: string) => [string, RequestInit?], repo: string): Promise<void> {
    const failures: string[] = [];
    for (const caller of CALLERS) {
      const [path, init] = request(repo);
      const token = caller === 'anon' ? undefined : tok[caller];
      const r = await api(`${hub.url}${path}`, token, init);
      const body = await r.text();
      if (r.status !== expected[caller]) failures.push(`${caller}: expected ${expected[caller]}, got ${r.status} ${body.slice(0, 120)}`);
    }
    assert.deepEqual(failures, [], `${door} on ${repo}`);
  }

  const READ_DOORS: Record<string, (repo: string) => [string, RequestInit?]> = {
    info: (r) => [`/api/models/${r}`],
    'revision info': (r) => [`/api/models/${r}/revision/main`],
    tree: (r) => [`/api/models/${r}/tree/main?recursive=true`],
    'paths-info': (r) => [`/api/models/${r}/paths-info/main`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ paths: ['file.txt'] }) }],
    refs: (r) => [`/api/models/${r}/refs`],
    commits: (r) => [`/api/models/${r}/commits/main`],
  };
  const CONTENT_DOORS: Record<string, (repo: string) => [string, RequestInit?]> = {
    resolve: (r) => [`/${r}/resolve/main/file.txt`],
    'resolve HEAD': (r) => [`/${r}/resolve/main/file.txt`, { method: 'HEAD' }],
    raw: (r) => [`/${r}/raw/main/file.txt`],
    'git upload-pack refs': (r) => [`/${r}.git/info/refs?service=git-upload-pack`],
    'LFS batch download': (r) => [`/${r}.git/info/lfs/objects/batch`, { method: 'POST', body: JSON.stringify({ operation: 'download', objects: [] }) }],
  };
  const WRITE_DOORS: Record<string, (repo: string) => [string, RequestInit?]> = {
    preupload: (r) => [`/api/models/${r}/preupload/main`, { method: 'POST', body: JSON.stringify({ files: [] }) }],
    'create branch': (r) => [`/api/models/${r}/branch/b-${Math.random().toString(36).slice(2)}`, { method: 'POST', body: '{}' }],
    'LFS batch upload': (r) => [`/${r}.git/info/lfs/objects/batch`, { method: 'POST', body: JSON.stringify({ operation: 'upload', objects: [] }) }],
    'git receive-pack refs': (r) => [`/${r}.git/info/refs?service=git-receive-pack`],
  };
  const ADMIN_DOORS: Record<string, (repo: string) => [string, RequestInit?]> = {
    settings: (r) => [`/api/models/${r}/settings`, { method: 'PUT', body: JSON.stringify({}) }],
  };

  for (const [door, req] of Object.entries(READ_DOORS)) {
    test(`read door: ${door}`, async () => {
      await check(door, PUBLIC_READ, req, 'acme/pub');
      await check(door, PRIVATE_READ, req, 'acme/priv');
      await check(door, GATED_META, req, 'acme/gated');
    });
  }
  for (const [door, req] of Object.entries(CONTENT_DOORS)) {
    test(`content door: ${door}`, async () => {
      await check(door, PUBLIC_READ, req, 'acme/pub');
      await check(door, PRIVATE_READ, req, 'acme/priv');
      await check(door, GATED_CONTENT, req, 'acme/gated');
    });
  }
  for (const [door, req] of Object.entries(WRITE_DOORS)) {
    test(`write door: ${door}`, async () => {
      await check(door, PUBLIC_WRITE, req, 'acme/pub');
      await check(door, PRIVATE_WRITE, req, 'acme/priv');
    });
  }
  test('write door: NDJSON commit', async () => {
    const commit = (r: string): [string, RequestInit] => [`/api/models/${r}/commit/main`, {
      method: 'POST', headers: { 'content-type': 'application/x-ndjson' },
      body: [{ key: 'header', value: { summary: 'matrix' } }, fileOp('m.txt', 'm')].map((l) => JSON.stringify(l)).join('\n'),
    }];
    await check('commit', PUBLIC_WRITE, commit, 'acme/pub');
    await check('commit', PRIVATE_WRITE, commit, 'acme/priv');
  });
  for (const [door, req] of Object.entries(ADMIN_DOORS)) {
    test(`admin door: ${door}`, async () => {
      await check(door, PUBLIC_ADMIN, req, 'acme/pub');
      await check(door, PRIVATE_ADMIN, req, 'acme/priv');
    });
  }

  test('listing and search show a private repo exactly to those who can read it', async () => {
    const failures: string[] = [];
    for (const caller of CALLERS) {
      const token = caller === 'anon' ? undefined : tok[caller];
      for (const url of [`/api/models?search=priv`, `/api/models?author=acme`, `/api/models?limit=1000`]) {
        const ids = ((await (await api(`${hub.url}${url}`, token)).json()) as any[]).map((r) => r.id);
        const listed = ids.includes('acme/priv') ? 1 : 0;
        if (listed !== PRIVATE_LISTED[caller]) failures.push(`${caller} ${url}: listed=${listed}`);
        if (!ids.includes('acme/pub') && url !== '/api/models?search=priv') failures.push(`${caller} ${url}: public repo missing`);
      }
    }
    assert.deepEqual(failures, []);
  });

  test('create in an org: writers and admins yes, readers and outsiders no', async () => {
    const expected = row(401, 403, 403, 200, 200, 200, 403, 403, 200);
    const failures: string[] = [];
    for (const caller of CALLERS) {
      const token = caller === 'anon' ? undefined : tok[caller];
      const r = await api(`${hub.url}/api/repos/create`, token, { method: 'POST', body: JSON.stringify({ name: `new-${caller}`, organization: 'acme' }) });
      if (r.status !== expected[caller]) failures.push(`${caller}: expected ${expected[caller]}, got ${r.status} ${await r.text()}`);
    }
    assert.deepEqual(failures, []);
  });

  test('whoami lists orgs with the role; membership changes take effect at once', async () => {
    const me = (await (await api(`${hub.url}/api/whoami-v2`, tok.reader)).json()) as any;
    assert.deepEqual(me.orgs.map((o: any) => [o.type, o.name, o.fullname, o.roleInOrg]), [['org', 'acme', 'Acme Labs', 'read']]);
    assert.deepEqual(((await (await api(`${hub.url}/api/whoami-v2`, tok.outsider)).json()) as any).orgs, []);
    const members = (await (await api(`${hub.url}/api/organizations/acme/members`, tok.reader)).json()) as any[];
    assert.deepEqual(members.map((m) => [m.user, m.role]), [['olga', 'admin'], ['rita', 'read'], ['will', 'write']]);
    assert.equal((await api(`${hub.url}/api/organizations/acme/members`, tok.outsider)).status, 403);
    // Removing rita takes her access away on the next request.
    assert.equal((await api(`${hub.url}/api/organizations/acme/members/rita`, tok.orgAdmin, { method: 'DELETE' })).status, 200);
    assert.equal((await api(`${hub.url}/api/models/acme/priv`, tok.reader)).status, 404);
    assert.equal((await api(`${hub.url}/api/organizations/acme/members/rita`, tok.orgAdmin, { method: 'PUT', body: JSON.stringify({ role: 'read' }) })).status, 200);
    assert.equal((await api(`${hub.url}/api/models/acme/priv`, tok.reader)).status, 200);
  });
});
