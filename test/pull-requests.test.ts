/**
 * Pull requests end to end on the real app (SQLite and PostgreSQL), real git
 * and the real npm client: `create_pr=1` on commit and preupload by someone
 * who can only read, later commits onto `refs/pr/<n>` (PY's `refs%2Fpr%2F<n>`
 * and JS's raw form), the ref through resolve, tree, paths-info, commits and
 * refs; `git fetch` of the ref and pushes to it (the author: yes; a stranger,
 * a new `refs/pr/99`: no); merges that fast-forward, that need a merge commit,
 * that conflict (409, nothing moves), and concurrent merges and commits of
 * which never both win.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { commit, uploadFile } from '@huggingface/hub';
import { createToken } from '../src/auth/tokens.js';
import { createUser } from '../src/auth/users.js';
import { ZERO_OID } from '../src/repo/git-repo.js';
import { gitRepoFor } from '../src/services/hub.js';
import { syncRepo } from '../src/services/indexer.js';
import { api, createRepoVia, expectError, fileOp, gitCommands, headOf, json, sha256, startTestHub, type TestHub, testDialects } from './helpers/hub.js';

const exec = promisify(execFile);

for (const dialect of testDialects()) {
  describe(`pull requests (${dialect})`, () => {
    let hub: TestHub;
    let work: string;
    let env: NodeJS.ProcessEnv;
    const tok = {} as Record<'alice' | 'bob' | 'carol' | 'bobRead', string>;
    const url = (p: string): string => `${hub.url}${p}`;

    /** An NDJSON commit, optionally opening a PR; revision encoded as PY does. */
    const commitTo = (token: string, repo: string, ops: unknown[], opts: { revision?: string; createPr?: boolean; summary?: string; description?: string; parentCommit?: string } = {}): Promise<Response> => {
      const header = { key: 'header', value: { summary: opts.summary ?? 'change', description: opts.description ?? '', ...(opts.parentCommit ? { parentCommit: opts.parentCommit } : {}) } };
      return api(url(`/api/models/${repo}/commit/${encodeURIComponent(opts.revision ?? 'main')}${opts.createPr ? '?create_pr=1' : ''}`), token, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: [header, ...ops].map((l) => JSON.stringify(l)).join('\n'),
      });
    };
    const post = (p: string, token: string | undefined, body: unknown = {}): Promise<Response> =>
      api(url(p), token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const details = async (repo: string, num: number): Promise<any> => json(await api(url(`/api/models/${repo}/discussions/${num}?diff=1`), tok.alice));
    const read = async (repo: string, rev: string, file: string): Promise<string> => {
      const r = await api(url(`/${repo}/resolve/${encodeURIComponent(rev)}/${file}`), tok.alice);
      assert.equal(r.status, 200, `${rev}:${file}`);
      return r.text();
    };
    const { git, gitFails } = gitCommands(() => env);
    /** A repo of alice's with one commit on main holding `a.txt` and `b.txt`. */
    const freshRepo = async (name: string): Promise<string> => {
      assert.equal((await createRepoVia(hub, tok.alice, name)).status, 200);
      assert.equal((await commitTo(tok.alice, `alice/${name}`, [fileOp('a.txt', 'a1\na2\na3\n'), fileOp('b.txt', 'b1\n')], { summary: 'base' })).status, 200);
      return `alice/${name}`;
    };

    before(async () => {
      hub = await startTestHub({ dialect });
      const db = hub.running.hub.db;
      tok.alice = hub.tokens.alice;
      tok.bob = hub.tokens.bob;
      const carol = await createUser(db, { name: 'carol' });
      tok.carol = (await createToken(db, carol.id, { role: 'write', displayName: 'carol' })).token;
      const bob = await db.selectFrom('users').select('id').where('name', '=', 'bob').executeTakeFirstOrThrow();
      tok.bobRead = (await createToken(db, bob.id, { role: 'read', displayName: 'bob-read' })).token;
      work = await mkdtemp(path.join(os.tmpdir(), 'orchard-pr-'));
      env = {
        PATH: process.env.PATH, HOME: work, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0',
        GIT_AUTHOR_NAME: 'Bob', GIT_AUTHOR_EMAIL: 'bob@example.org', GIT_COMMITTER_NAME: 'Bob', GIT_COMMITTER_EMAIL: 'bob@example.org',
      };
      await exec('git', ['lfs', 'install'], { cwd: work, env });
    });
    after(async () => {
      await hub?.close();
      if (work) await rm(work, { recursive: true, force: true });
    });

    test('create_pr=1 by a reader opens PR #1 on refs/pr/1; main does not move', async () => {
      const repo = await freshRepo('pr-basic');
      const main = await headOf(hub, tok.alice, repo);
      // Bob cannot write to alice's repo, but can open a pull request.
      await expectError(await commitTo(tok.bob, repo, [fileOp('a.txt', 'nope\n')]), 403, 'Forbidden');
      const pre = await post(`/api/models/${repo}/preupload/main?create_pr=1`, tok.bob, { files: [{ path: 'c.txt', size: 3, sample: Buffer.from('c1\n').toString('base64') }] });
      assert.equal(pre.status, 200, await pre.clone().text());
      assert.equal((await json(pre)).files[0].uploadMode, 'regular');
      await expectError(await commitTo(tok.bobRead, repo, [fileOp('c.txt', 'c1\n')], { createPr: true }), 403, 'Forbidden');
      await expectError(await commitTo('', repo, [fileOp('c.txt', 'c1\n')], { createPr: true }), 401);

      const r = await commitTo(tok.bob, repo, [fileOp('c.txt', 'c1\n'), fileOp('a.txt', 'a1\na2 changed\na3\n')], { createPr: true, summary: 'Add c, fix a', description: 'Please **merge**' });
      assert.equal(r.status, 200, await r.clone().text());
      const body = await json(r);
      assert.equal(body.success, true);
      assert.match(body.commitOid, /^[0-9a-f]{40}$/);
      assert.equal(body.commitUrl, `${hub.url}/${repo}/commit/${body.commitOid}`);
      assert.equal(body.pullRequestUrl, `${hub.url}/${repo}/discussions/1`);
      assert.equal(await headOf(hub, tok.alice, repo), main, 'main did not move');

      const refs = await json(await api(url(`/api/models/${repo}/refs?include_prs=1`)));
      assert.deepEqual(refs.pullRequests, [{ name: '1', ref: 'refs/pr/1', targetCommit: body.commitOid }]);
      assert.equal((await json(await api(url(`/api/models/${repo}/refs`)))).pullRequests, undefined);
      // The PR's ref resolves everywhere a revision is taken, encoded (PY) or raw (JS tree/commits).
      assert.equal(await read(repo, 'refs/pr/1', 'c.txt'), 'c1\n');
      assert.equal((await api(url(`/${repo}/resolve/refs%2Fpr%2F1/c.txt`))).headers.get('x-repo-commit'), body.commitOid);
      assert.equal((await json(await api(url(`/api/models/${repo}/revision/refs%2Fpr%2F1`)))).sha, body.commitOid);
      for (const rev of ['refs%2Fpr%2F1', 'refs/pr/1']) {
        const tree = await json(await api(url(`/api/models/${repo}/tree/${rev}`)));
        assert.deepEqual(tree.map((e: any) => e.path).sort(), ['.gitattributes', 'a.txt', 'b.txt', 'c.txt'], rev);
        const commits = await json(await api(url(`/api/models/${repo}/commits/${rev}`)));
        assert.equal(commits[0].id, body.commitOid, rev);
        assert.equal(commits[0].title, 'Add c, fix a');
      }
      const info = await json(await post(`/api/models/${repo}/paths-info/refs%2Fpr%2F1`, undefined, { paths: ['c.txt'] }));
      assert.equal(info[0].path, 'c.txt');

      const d = await details(repo, 1);
      assert.equal(d.num, 1);
      assert.equal(d.title, 'Add c, fix a');
      assert.equal(d.status, 'open');
      assert.equal(d.isPullRequest, true);
      assert.deepEqual(d.author, { name: 'bob' });
      assert.deepEqual(d.changes, { base: 'refs/heads/main' });
      assert.deepEqual(d.filesWithConflicts, []);
      assert.match(d.diff, /^diff --git a\/a\.txt b\/a\.txt/m);
      assert.match(d.diff, /^\+a2 changed$/m);
      assert.match(d.diff, /^diff --git a\/c\.txt b\/c\.txt/m);
      assert.deepEqual(d.events.map((e: any) => e.type), ['comment', 'commit']);
      assert.equal(d.events[0].data.latest.raw, 'Please **merge**');
      assert.deepEqual(d.events[1].data, { subject: 'Add c, fix a', oid: body.commitOid });
      assert.equal((await json(await api(url(`/api/models/${repo}/discussions?type=pull_request`)))).discussions[0].isPullRequest, true);
    });

    test('later commits go onto refs/pr/1: by its author, not by a stranger; refs/pr/99 does not exist', async () => {
      const repo = 'alice/pr-basic';
      const second = await commitTo(tok.bob, repo, [fileOp('d.txt', 'd1\n')], { revision: 'refs/pr/1', summary: 'Add d' });
      assert.equal(second.status, 200, await second.clone().text());
      const secondBody = await json(second);
      const oid = secondBody.commitOid;
      assert.equal(secondBody.pullRequestUrl, undefined);
      assert.equal(await read(repo, 'refs/pr/1', 'd.txt'), 'd1\n');
      const d = await details(repo, 1);
      assert.deepEqual(d.events.map((e: any) => e.type), ['comment', 'commit', 'commit']);
      assert.deepEqual(d.events[2].data, { subject: 'Add d', oid });
      // A writer may add to anyone's PR; a stranger may not; a read token may not.
      assert.equal((await commitTo(tok.alice, repo, [fileOp('e.txt', 'e1\n')], { revision: 'refs/pr/1', summary: 'Add e' })).status, 200);
      await expectError(await commitTo(tok.carol, repo, [fileOp('x.txt', 'x\n')], { revision: 'refs/pr/1' }), 403, 'Forbidden');
      await expectError(await commitTo(tok.bobRead, repo, [fileOp('x.txt', 'x\n')], { revision: 'refs/pr/1' }), 403, 'Forbidden');
      await expectError(await commitTo(tok.bob, repo, [fileOp('x.txt', 'x\n')], { revision: 'refs/pr/99' }), 404, 'RevisionNotFound');
      await expectError(await commitTo(tok.bob, repo, [fileOp('x.txt', 'x\n')], { revision: 'refs/pr/1', createPr: true }), 400, 'BadRequest');
      // A stale parentCommit on the PR is refused like on a branch.
      await expectError(await commitTo(tok.bob, repo, [fileOp('x.txt', 'x\n')], { revision: 'refs/pr/1', parentCommit: oid }), 412, 'PreconditionFailed');
    });

    test('@huggingface/hub: commit({isPullRequest: true}) then uploadFile onto refs/pr/2', async () => {
      const repo = 'alice/pr-basic';
      const opened = await commit({
        repo: { type: 'model', name: repo }, accessToken: tok.bob, hubUrl: hub.url, title: 'From JS', description: 'opened by the npm client',
        operations: [{ operation: 'addOrUpdate', path: 'js.txt', content: new Blob(['from js\n']) }], isPullRequest: true,
      });
      assert.ok(opened);
      assert.equal(opened.pullRequestUrl, `${hub.url}/${repo}/discussions/2`);
      assert.match(opened.commit.oid, /^[0-9a-f]{40}$/);
      const again = await uploadFile({ repo: { type: 'model', name: repo }, accessToken: tok.bob, hubUrl: hub.url, branch: 'refs/pr/2', file: { path: 'js2.txt', content: new Blob(['more\n']) } });
      assert.ok(again);
      assert.equal(await read(repo, 'refs/pr/2', 'js2.txt'), 'more\n');
      assert.equal(await read(repo, 'refs/pr/2', 'js.txt'), 'from js\n');
      const d = await details(repo, 2);
      assert.equal(d.title, 'From JS');
      assert.deepEqual(d.events.map((e: any) => e.type), ['comment', 'commit', 'commit']);
      assert.equal(d.events[2].data.oid, again.commit.oid);
    });

    test('git: fetch refs/pr/1, the author pushes to it, a new refs/pr/99 and a stranger are refused', async () => {
      const repo = 'alice/pr-basic';
      const clone = path.join(work, 'clone');
      await git(work, ['clone', '-q', `${hub.url}/${repo}`, clone], tok.bob);
      await git(clone, ['fetch', '-q', 'origin', 'refs/pr/1:pr1'], tok.bob);
      // A batch upload naming refs/pr/1 is the author's to make; without a PR ref it needs write access.
      const batch = (token: string, refName?: string): Promise<Response> =>
        api(url(`/${repo}.git/info/lfs/objects/batch`), token, {
          method: 'POST',
          headers: { 'content-type': 'application/vnd.git-lfs+json' },
          body: JSON.stringify({ operation: 'upload', objects: [], ...(refName ? { ref: { name: refName } } : {}) }),
        });
      assert.equal((await batch(tok.bob, 'refs/pr/1')).status, 200);
      assert.equal((await batch(tok.bob)).status, 403);
      assert.equal((await batch(tok.bob, 'refs/heads/main')).status, 403);
      assert.equal((await batch(tok.carol, 'refs/pr/1')).status, 403);
      assert.equal((await batch(tok.bob, 'refs/pr/77')).status, 404);
      const fetched = (await git(clone, ['rev-parse', 'pr1'])).stdout.trim();
      assert.equal(fetched, (await json(await api(url(`/api/models/${repo}/revision/refs%2Fpr%2F1`)))).sha);
      await git(clone, ['checkout', '-q', 'pr1']);
      await writeFile(path.join(clone, 'pushed.txt'), 'pushed by git\n');
      await git(clone, ['add', 'pushed.txt']);
      await git(clone, ['commit', '-q', '-m', 'Pushed with git']);
      const pushedOid = (await git(clone, ['rev-parse', 'HEAD'])).stdout.trim();
      await git(clone, ['push', '-q', 'origin', 'HEAD:refs/pr/1'], tok.bob);
      assert.equal(await read(repo, 'refs/pr/1', 'pushed.txt'), 'pushed by git\n');
      const d = await details(repo, 1);
      assert.deepEqual(d.events.at(-1).data, { subject: 'Pushed with git', oid: pushedOid });
      // An LFS file too: git-lfs's batch names refs/pr/1, which its author may upload for.
      const weights = randomBytes(3000);
      await writeFile(path.join(clone, 'weights.bin'), weights);
      await git(clone, ['add', 'weights.bin']);
      await git(clone, ['commit', '-q', '-m', 'Add weights']);
      await git(clone, ['push', '-q', 'origin', 'HEAD:refs/pr/1'], tok.bob);
      const [entry] = await json(await post(`/api/models/${repo}/paths-info/refs%2Fpr%2F1`, undefined, { paths: ['weights.bin'] }));
      assert.equal(entry.lfs.oid, sha256(weights));
      const lfsPushOid = (await git(clone, ['rev-parse', 'HEAD'])).stdout.trim();
      // Refusals: a push creating a PR ref, a stranger, and the PR author on a branch.
      // For a non-writer, git-lfs's batch for refs/pr/99 is refused before the hook; a writer reaches the hook.
      assert.match(await gitFails(clone, ['push', 'origin', 'HEAD:refs/pr/99'], tok.bob), /Invalid rev id: refs\/pr\/99|cannot create a pull request/);
      assert.match(await gitFails(clone, ['push', 'origin', 'HEAD:refs/pr/99'], tok.alice), /cannot create a pull request/);
      assert.match(await gitFails(clone, ['push', 'origin', 'HEAD:refs/pr/1'], tok.carol), /403|denied|cannot write/i);
      assert.match(await gitFails(clone, ['push', 'origin', 'HEAD:main'], tok.bob), /do not have write access/);
      // Past git-lfs (--no-verify), the hub's pre-receive hook refuses the branch itself.
      assert.match(await gitFails(clone, ['push', '--no-verify', 'origin', 'HEAD:main'], tok.bob), /do not have write access to refs\/heads\/main/);
      assert.match(await gitFails(clone, ['push', 'origin', '--delete', 'refs/pr/1'], tok.alice), /cannot be deleted/);
      const refs = await json(await api(url(`/api/models/${repo}/refs?include_prs=1`)));
      assert.deepEqual(refs.pullRequests.map((p: any) => p.name).sort(), ['1', '2']);
      assert.equal(refs.pullRequests.find((p: any) => p.name === '1').targetCommit, lfsPushOid);
    });

    test('merge: writers only; fast-forward when main did not move; then merged for good', async () => {
      const repo = 'alice/pr-basic';
      const head = (await json(await api(url(`/api/models/${repo}/revision/refs%2Fpr%2F1`)))).sha;
      await expectError(await post(`/api/models/${repo}/discussions/1/merge`, tok.bob), 403, 'Forbidden');
      await expectError(await post(`/api/models/${repo}/discussions/1/merge`, undefined), 401);
      const m = await post(`/api/models/${repo}/discussions/1/merge`, tok.alice, { comment: 'Thanks!' });
      assert.equal(m.status, 200, await m.clone().text());
      const body = await json(m);
      assert.equal(body.mergeCommitId, head, 'fast-forward: main is the PR head');
      assert.deepEqual(body.newStatus.data, { status: 'merged' });
      assert.equal(await headOf(hub, tok.alice, repo), head);
      assert.equal(await read(repo, 'main', 'pushed.txt'), 'pushed by git\n');
      const d = await details(repo, 1);
      assert.equal(d.status, 'merged');
      assert.deepEqual(d.changes, { base: 'refs/heads/main', mergeCommitId: head });
      assert.match(d.diff, /c\.txt/, 'a merged PR still shows its diff');
      assert.deepEqual(d.events.slice(-2).map((e: any) => e.type), ['comment', 'status-change']);
      await expectError(await post(`/api/models/${repo}/discussions/1/merge`, tok.alice), 409, 'Conflict');
      await expectError(await post(`/api/models/${repo}/discussions/1/status`, tok.alice, { status: 'closed' }), 409, 'Conflict');
      await expectError(await commitTo(tok.bob, repo, [fileOp('late.txt', 'late\n')], { revision: 'refs/pr/1' }), 409, 'Conflict');
    });

    test('merge with a moved base: a merge commit when clean; 409 with the files and nothing moved on conflict', async () => {
      const repo = await freshRepo('pr-moved');
      const clean = await json(await commitTo(tok.bob, repo, [fileOp('new.txt', 'new\n')], { createPr: true, summary: 'Clean' }));
      const conflicting = await json(await commitTo(tok.bob, repo, [fileOp('a.txt', 'a1\nPR side\na3\n')], { createPr: true, summary: 'Conflicting' }));
      assert.equal(clean.pullRequestUrl.endsWith('/discussions/1'), true);
      assert.equal(conflicting.pullRequestUrl.endsWith('/discussions/2'), true);
      const moved = await json(await commitTo(tok.alice, repo, [fileOp('a.txt', 'a1\nmain side\na3\n')], { summary: 'Main moves' }));

      const d2 = await details(repo, 2);
      assert.deepEqual(d2.filesWithConflicts, ['a.txt']);
      const refused = await post(`/api/models/${repo}/discussions/2/merge`, tok.alice);
      const err = await expectError(refused, 409, 'Conflict');
      assert.deepEqual(err.filesWithConflicts, ['a.txt']);
      assert.equal(await headOf(hub, tok.alice, repo), moved.commitOid, 'nothing moved');
      assert.equal((await details(repo, 2)).status, 'open');

      const m = await json(await post(`/api/models/${repo}/discussions/1/merge`, tok.alice));
      const main = await headOf(hub, tok.alice, repo);
      assert.equal(m.mergeCommitId, main);
      const [merge] = await json(await api(url(`/api/models/${repo}/commits/main?limit=1`)));
      assert.deepEqual(merge.parents, [moved.commitOid, clean.commitOid]);
      assert.match(merge.title, /^Merge pull request #1: Clean/);
      assert.equal(await read(repo, 'main', 'new.txt'), 'new\n');
      assert.equal(await read(repo, 'main', 'a.txt'), 'a1\nmain side\na3\n');
      assert.deepEqual((await details(repo, 1)).changes, { base: 'refs/heads/main', mergeCommitId: main });
    });

    test('draft PRs from POST discussions, closed PRs, and discussions cannot be merged', async () => {
      const repo = await freshRepo('pr-draft');
      const main = await headOf(hub, tok.alice, repo);
      const created = await json(await post(`/api/models/${repo}/discussions`, tok.bob, { title: 'Draft', description: 'wip', pullRequest: true }));
      assert.equal(created.num, 1);
      assert.equal(created.status, 'draft');
      assert.equal(created.isPullRequest, true);
      assert.equal((await json(await api(url(`/api/models/${repo}/revision/refs%2Fpr%2F1`)))).sha, main, 'refs/pr/1 starts at main');
      await expectError(await post(`/api/models/${repo}/discussions/1/merge`, tok.alice), 409, 'Conflict');
      // Commits go onto a draft; publishing opens it; with no changes there is nothing to merge.
      assert.equal((await commitTo(tok.bob, repo, [fileOp('draft.txt', 'd\n')], { revision: 'refs/pr/1', summary: 'Draft work' })).status, 200);
      assert.equal((await details(repo, 1)).events.at(-1).type, 'commit');
      assert.deepEqual((await json(await post(`/api/models/${repo}/discussions/1/status`, tok.bob, { status: 'open' }))).newStatus.data, { status: 'open' });
      assert.equal((await post(`/api/models/${repo}/discussions/1/status`, tok.bob, { status: 'closed' })).status, 200);
      await expectError(await post(`/api/models/${repo}/discussions/1/merge`, tok.alice), 409, 'Conflict');
      await expectError(await commitTo(tok.bob, repo, [fileOp('x.txt', 'x\n')], { revision: 'refs/pr/1' }), 409, 'Conflict');
      assert.equal(await headOf(hub, tok.alice, repo), main);
      const empty = await json(await post(`/api/models/${repo}/discussions`, tok.alice, { title: 'Nothing yet', pullRequest: true }));
      await post(`/api/models/${repo}/discussions/${empty.num}/status`, tok.alice, { status: 'open' });
      await expectError(await post(`/api/models/${repo}/discussions/${empty.num}/merge`, tok.alice), 409, 'Conflict');
    });

    test('a failed create_pr commit leaves no pull request behind', async () => {
      const repo = await freshRepo('pr-failed');
      await expectError(await commitTo(tok.bob, repo, [{ key: 'deletedFile', value: { path: 'missing.txt' } }], { createPr: true }), 404, 'EntryNotFound');
      assert.equal((await json(await api(url(`/api/models/${repo}/discussions`)))).count, 0);
      assert.deepEqual((await json(await api(url(`/api/models/${repo}/refs?include_prs=1`)))).pullRequests, []);
      const ok = await json(await commitTo(tok.bob, repo, [fileOp('z.txt', 'z\n')], { createPr: true }));
      assert.equal(ok.pullRequestUrl, `${hub.url}/${repo}/discussions/1`);
      // A refs/pr/<n> left without its discussion (a crash mid-creation) is skipped, not reused.
      const h = hub.running.hub;
      const row = await h.db.selectFrom('repos').select('id').where('full_name_lc', '=', repo).executeTakeFirstOrThrow();
      assert.equal(await gitRepoFor(h, row.id).updateRef('refs/pr/2', await headOf(hub, tok.alice, repo), ZERO_OID), true);
      await syncRepo(h, row.id);
      const next = await json(await commitTo(tok.bob, repo, [fileOp('y.txt', 'y\n')], { createPr: true }));
      assert.equal(next.pullRequestUrl, `${hub.url}/${repo}/discussions/3`);
    });

    test('concurrent merges of one PR: exactly one wins; a merge racing a commit never loses either', async () => {
      const repo = await freshRepo('pr-race');
      await commitTo(tok.bob, repo, [fileOp('r1.txt', 'r1\n')], { createPr: true, summary: 'Race 1' });
      const results = await Promise.all([1, 2, 3].map(() => post(`/api/models/${repo}/discussions/1/merge`, tok.alice)));
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 409, 409]);
      const merged = await details(repo, 1);
      assert.equal(merged.events.filter((e: any) => e.type === 'status-change').length, 1, 'one merge recorded');

      // A commit on main that names its parent, racing a merge that must move main too.
      const pr2 = await json(await commitTo(tok.bob, repo, [fileOp('r2.txt', 'r2\n')], { createPr: true, summary: 'Race 2' }));
      const parent = await headOf(hub, tok.alice, repo);
      const [c, m] = await Promise.all([
        commitTo(tok.alice, repo, [fileOp('main.txt', 'main\n')], { parentCommit: parent, summary: 'Main commit' }),
        post(`/api/models/${repo}/discussions/2/merge`, tok.alice),
      ]);
      assert.equal(m.status, 200, await m.clone().text());
      const history = (await json(await api(url(`/api/models/${repo}/commits/main?limit=50`)))).map((x: any) => x.id);
      assert.ok(history.includes(pr2.commitOid), 'the PR is on main');
      if (c.status === 200) assert.ok(history.includes((await json(c)).commitOid), 'the commit is on main too');
      else await expectError(c, 412, 'PreconditionFailed');
    });
  });
}
