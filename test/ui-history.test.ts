import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { api, commitVia, createRepoVia, fileOp, json, lfsOp, startTestHub, type TestHub, uploadLfs } from './helpers/hub.js';

/** Fetches a page as the given token (or anonymously) and returns its status and HTML. */
async function page(hub: TestHub, path: string, token?: string): Promise<{ status: number; body: string; type: string | null }> {
  const r = await api(`${hub.url}${path}`, token);
  return { status: r.status, body: await r.text(), type: r.headers.get('content-type') };
}

async function commit(hub: TestHub, repo: string, ops: unknown[], summary: string): Promise<{ commitOid: string; commitUrl: string }> {
  const r = await commitVia(hub, hub.tokens.alice, repo, ops, { summary });
  assert.equal(r.status, 200, await r.clone().text());
  return json(r);
}

/** The `<section class="diff-file">` of one path on a commit page. */
function fileSection(body: string, path: string): string {
  const sections = body.split('<section class="diff-file"').slice(1);
  const hit = sections.find((s) => s.includes(`>${path}</a>`));
  assert.ok(hit, `no diff section for ${path}`);
  return hit;
}

describe('web UI: commit history, diffs, branches and tags', () => {
  let hub: TestHub;
  const ids: Record<string, string> = {};
  const lfsOld = randomBytes(3000);
  const lfsNew = randomBytes(5000);
  let lfsOids: { old: string; new: string };

  before(async () => {
    hub = await startTestHub();
    assert.equal((await createRepoVia(hub, hub.tokens.alice, 'hist')).status, 200);
    ids.first = (await commit(hub, 'alice/hist', [fileOp('notes.txt', 'line1\nline2\nline3\n')], 'Add notes')).commitOid;
    const second = await commit(hub, 'alice/hist', [fileOp('notes.txt', 'line1\nline two\nline3\n<b>bold</b>\n')], 'Edit <notes> & more\n\nA longer body\nover two lines.');
    ids.second = second.commitOid;
    ids.secondUrl = second.commitUrl;
    const a = await uploadLfs(hub, hub.tokens.alice, 'alice/hist', lfsOld);
    const b = await uploadLfs(hub, hub.tokens.alice, 'alice/hist', lfsNew);
    lfsOids = { old: a.oid, new: b.oid };
    ids.lfsAdd = (await commit(hub, 'alice/hist', [lfsOp('model.bin', a)], 'Add weights')).commitOid;
    ids.lfsChange = (await commit(hub, 'alice/hist', [lfsOp('model.bin', b)], 'Update weights')).commitOid;
    ids.rename = (await commit(hub, 'alice/hist', [{ key: 'deletedFile', value: { path: 'notes.txt' } }, fileOp('docs/notes.md', 'line1\nline two\nline3\n<b>bold</b>\n'), fileOp('blob.dat', Buffer.from([0, 1, 2, 3, 0, 255]))], 'Move notes, add a binary')).commitOid;
    assert.equal((await api(`${hub.url}/api/models/alice/hist/branch/dev`, hub.tokens.alice, { method: 'POST', body: '{}' })).status, 200);
    assert.equal((await api(`${hub.url}/api/models/alice/hist/tag/main`, hub.tokens.alice, { method: 'POST', body: JSON.stringify({ tag: 'v1.0', message: 'first release' }) })).status, 200);
  });
  after(() => hub.close());

  test('the commits page lists the history newest first, with links to each commit', async () => {
    const { status, body } = await page(hub, '/alice/hist/commits/main');
    assert.equal(status, 200);
    const order = ['Move notes, add a binary', 'Update weights', 'Add weights', 'Edit &lt;notes&gt; &amp; more', 'Add notes'].map((t) => body.indexOf(t));
    assert.ok(order.every((i) => i > 0), 'every title is listed (escaped)');
    assert.deepEqual([...order].sort((x, y) => x - y), order, 'newest first');
    assert.ok(!body.includes('Edit <notes>'), 'titles are escaped');
    assert.ok(body.includes(`href="/alice/hist/commit/${ids.first}"`));
    assert.ok(body.includes(`<code>${ids.first!.slice(0, 7)}</code>`));
    assert.ok(body.includes('alice committed'), 'the author is shown');
    assert.match(body, /<time datetime="\d{4}-\d\d-\d\dT/);
    // A revision other than the default branch, and a tag.
    assert.equal((await page(hub, '/alice/hist/commits/v1.0')).status, 200);
    assert.equal((await page(hub, `/alice/hist/commits/${ids.second}`)).body.includes('Add weights'), false);
    assert.equal((await page(hub, '/alice/hist/commits/nope')).status, 404);
  });

  test('the commitUrl the API returns opens the commit page: message, author, parents, diff', async () => {
    const url = new URL(ids.secondUrl!);
    assert.equal(url.pathname, `/alice/hist/commit/${ids.second}`);
    const { status, body } = await page(hub, url.pathname);
    assert.equal(status, 200);
    assert.ok(body.includes('Edit &lt;notes&gt; &amp; more'));
    assert.ok(body.includes('A longer body\nover two lines.'));
    assert.ok(body.includes(`<code>${ids.second}</code>`));
    assert.ok(body.includes(`href="/alice/hist/commit/${ids.first}"`), 'links the parent');
    const notes = fileSection(body, 'notes.txt');
    assert.match(notes, /modified/);
    assert.match(notes, /<tr class="del"><td class="ln">2<\/td><td class="ln"><\/td><td>-line2<\/td><\/tr>/);
    assert.match(notes, /<tr class="add"><td class="ln"><\/td><td class="ln">2<\/td><td>\+line two<\/td><\/tr>/);
    assert.match(notes, /<tr class="hunk">.*@@ -1,3 \+1,4 @@/);
    assert.ok(notes.includes('+&lt;b&gt;bold&lt;/b&gt;'), 'diff text is escaped');
    assert.ok(!body.includes('<b>bold</b>'));
    assert.match(notes, /\+2<\/span> <span class="minus">−1/);
  });

  test('the first commit has no parent; a short sha works; unknown commits are a 404 page', async () => {
    const history = await json<{ id: string }[]>(await api(`${hub.url}/api/models/alice/hist/commits/main`));
    const root = await page(hub, `/alice/hist/commit/${history.at(-1)!.id}`);
    assert.equal(root.status, 200);
    assert.ok(root.body.includes('none (first commit)'));
    assert.match(fileSection(root.body, '.gitattributes'), /added/);
    const short = await page(hub, `/alice/hist/commit/${ids.first!.slice(0, 10)}`);
    assert.equal(short.status, 200);
    assert.match(fileSection(short.body, 'notes.txt'), /added/);
    assert.match(fileSection(short.body, 'notes.txt'), /<tr class="add"><td class="ln"><\/td><td class="ln">3<\/td><td>\+line3<\/td><\/tr>/);
    for (const bad of ['0'.repeat(40), 'deadbeef', '..%2F..%2Fetc', '--output=x']) {
      const r = await page(hub, `/alice/hist/commit/${bad}`);
      assert.equal(r.status, 404, bad);
      assert.match(r.type ?? '', /text\/html/);
      assert.ok(r.body.includes('<h1>404</h1>'));
    }
  });

  test('an LFS change shows both object ids and sizes, not the pointer text', async () => {
    const added = await page(hub, `/alice/hist/commit/${ids.lfsAdd}`);
    assert.match(fileSection(added.body, 'model.bin'), new RegExp(`LFS object added: <code>sha256:${lfsOids.old}</code> \\(3.0 kB\\)`));
    const { body } = await page(hub, `/alice/hist/commit/${ids.lfsChange}`);
    const section = fileSection(body, 'model.bin');
    assert.ok(section.includes('LFS object changed'));
    assert.ok(section.indexOf(lfsOids.old) > 0 && section.indexOf(lfsOids.new) > section.indexOf(lfsOids.old), 'old → new');
    assert.ok(section.includes('(5.0 kB)'));
    assert.ok(!section.includes('version https://git-lfs'), 'no pointer diff');
  });

  test('renames, deletions and binary files are marked', async () => {
    const { body } = await page(hub, `/alice/hist/commit/${ids.rename}`);
    const moved = fileSection(body, 'docs/notes.md');
    assert.match(moved, /renamed/);
    assert.ok(moved.includes('from notes.txt'));
    assert.ok(moved.includes('File renamed without changes.'));
    assert.match(fileSection(body, 'blob.dat'), /Binary file added\./);
    assert.ok(body.includes('2 changed files'));
  });

  test('the refs page lists branches and tags with their head commits', async () => {
    const { status, body } = await page(hub, '/alice/hist/refs');
    assert.equal(status, 200);
    const branches = body.slice(body.indexOf('<h2>Branches</h2>'), body.indexOf('<h2>Tags</h2>'));
    const tags = body.slice(body.indexOf('<h2>Tags</h2>'));
    assert.ok(branches.indexOf('>main<') < branches.indexOf('>dev<'), 'default branch first');
    assert.ok(branches.includes('<span class="pill">default</span>'));
    assert.ok(branches.includes(`href="/alice/hist/commit/${ids.rename}"`));
    assert.ok(branches.includes('Move notes, add a binary'));
    assert.ok(tags.includes('href="/alice/hist/tree/v1.0"'));
    assert.ok(tags.includes(`href="/alice/hist/commit/${ids.rename}"`), 'an annotated tag shows the commit it points at');
    assert.ok(tags.includes('href="/alice/hist/commits/v1.0"'));
  });

  test('the commits page pages through long histories with ?p=', async () => {
    assert.equal((await createRepoVia(hub, hub.tokens.alice, 'long', { type: 'dataset' })).status, 200);
    for (let i = 1; i <= 52; i++) {
      const r = await commitVia(hub, hub.tokens.alice, 'alice/long', [fileOp('n.txt', String(i))], { summary: `Commit number ${i}.`, type: 'datasets' });
      assert.equal(r.status, 200);
    }
    // 52 commits plus the repo's initial one.
    const first = await page(hub, '/datasets/alice/long/commits/main');
    assert.equal(first.status, 200);
    assert.equal(first.body.match(/<li><div><a href="\/datasets\/alice\/long\/commit\//g)?.length, 50);
    assert.ok(first.body.includes('Commit number 52.') && first.body.includes('Commit number 3.') && !first.body.includes('Commit number 2.'));
    assert.ok(first.body.includes('href="/datasets/alice/long/commits/main?p=1"'));
    assert.ok(first.body.includes('Page 1 of 2'));
    assert.ok(!first.body.includes('rel="prev"'));
    const second = await page(hub, '/datasets/alice/long/commits/main?p=1');
    assert.equal(second.body.match(/<li><div><a href="\/datasets\/alice\/long\/commit\//g)?.length, 3);
    assert.ok(second.body.includes('Commit number 2.') && second.body.includes('Commit number 1.'));
    assert.ok(second.body.includes('rel="prev" href="/datasets/alice/long/commits/main"'));
    assert.ok(!second.body.includes('rel="next"'));
    const past = await page(hub, '/datasets/alice/long/commits/main?p=9');
    assert.equal(past.status, 200);
    assert.ok(past.body.includes('No commits on this page'));
  });

  test('a gated repo lists its history to visitors but shows diffs only with access', async () => {
    assert.equal((await createRepoVia(hub, hub.tokens.alice, 'gated')).status, 200);
    const { commitOid } = await commit(hub, 'alice/gated', [fileOp('terms.txt', 'gated words\n')], 'Add terms');
    const settings = await api(`${hub.url}/api/models/alice/gated/settings`, hub.tokens.alice, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ gated: 'manual' }) });
    assert.equal(settings.status, 200);
    assert.ok((await page(hub, '/alice/gated/commits/main', hub.tokens.bob)).body.includes('Add terms'));
    const outsider = await page(hub, `/alice/gated/commit/${commitOid}`, hub.tokens.bob);
    assert.equal(outsider.status, 200);
    assert.ok(outsider.body.includes('terms.txt') && outsider.body.includes('Diffs of a gated repo are shown once you have access.'));
    assert.ok(!outsider.body.includes('gated words'));
    assert.ok((await page(hub, `/alice/gated/commit/${commitOid}`, hub.tokens.alice)).body.includes('+gated words'));
  });

  test('a private repo\'s history pages are a 404 for outsiders and anonymous, exactly like a missing repo', async () => {
    assert.equal((await createRepoVia(hub, hub.tokens.alice, 'secret', { private: true })).status, 200);
    const { commitOid } = await commit(hub, 'alice/secret', [fileOp('a.txt', 'hidden text\n')], 'Secret change');
    for (const tail of ['/commits/main', `/commit/${commitOid}`, '/refs']) {
      assert.equal((await page(hub, `/alice/secret${tail}`, hub.tokens.alice)).status, 200, `owner sees ${tail}`);
      for (const who of [undefined, hub.tokens.bob]) {
        const secret = await page(hub, `/alice/secret${tail}`, who);
        const missing = await page(hub, `/alice/nothing-here${tail.replace(commitOid, 'f'.repeat(40))}`, who);
        assert.equal(secret.status, 404);
        assert.equal(missing.status, 404);
        assert.equal(secret.body, missing.body, `${tail} for ${who ? 'bob' : 'anonymous'}`);
        assert.ok(!secret.body.includes('Secret change') && !secret.body.includes('hidden text'));
      }
    }
  });
});
