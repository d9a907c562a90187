/**
 * Download counts with real clients (`@huggingface/hub`, git) against the
 * real app: one count per client, repo and day; HEAD, later range chunks,
 * raw, 304 and `git ls-remote` do not count. "Today" is moved through the
 * service's clock, never by waiting.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { downloadFile, snapshotDownload } from '@huggingface/hub';
import { setSocialClock } from '../src/services/downloads-clock.js';
import { api, commitVia, createRepoVia, expectError, fileOp, json, lfsOp, startTestHub, testDialects, uploadLfs, type TestHub } from './helpers/hub.js';

const exec = promisify(execFile);
const DAY0 = '2026-03-10';
const at = (day: string, days = 0): Date => new Date(Date.parse(`${day}T12:00:00.000Z`) + days * 86_400_000);

/** A fetch that presents itself as a given client (User-Agent), as different machines' clients would. */
const fetchAs = (ua: string): typeof fetch => (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set('user-agent', ua);
  return fetch(input, { ...init, headers });
};

for (const dialect of testDialects()) {
  describe(`download counts (${dialect})`, () => {
    let hub: TestHub;
    let t: TestHub['tokens'];
    let work: string;
    const weights = Buffer.alloc(3 * 1024 * 1024, 7);
    const stats = async (repo = 'alice/dl', token?: string) => json(await api(`${hub.url}/api/models/${repo}/downloads`, token));
    const setDay = (d: Date) => setSocialClock(hub.running.hub, () => d);
    const get = (file: string, ua: string, init: RequestInit = {}, token?: string) =>
      api(`${hub.url}/alice/dl/${file}`, token, { ...init, headers: { 'user-agent': ua, ...(init.headers as Record<string, string>) } });
    const git = (args: string[], ua: string) =>
      exec('git', ['-c', 'credential.helper=', '-c', `http.userAgent=${ua}`, ...args], {
        cwd: work,
        env: { PATH: process.env.PATH, HOME: work, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', GIT_LFS_SKIP_SMUDGE: '1' },
      });

    before(async () => {
      hub = await startTestHub({ dialect });
      t = hub.tokens;
      work = await mkdtemp(path.join(os.tmpdir(), 'orchard-dl-'));
      setDay(at(DAY0));
      assert.equal((await createRepoVia(hub, t.alice, 'dl')).status, 200);
      const lfs = await uploadLfs(hub, t.alice, 'alice/dl', weights);
      const c = await commitVia(hub, t.alice, 'alice/dl', [fileOp('config.json', '{"model_type":"demo"}'), fileOp('README.md', '# dl\n'), lfsOp('weights.bin', lfs)]);
      assert.equal(c.status, 200, await c.text());
      assert.equal((await createRepoVia(hub, t.alice, 'dl-secret', { private: true })).status, 200);
      assert.equal((await commitVia(hub, t.alice, 'alice/dl-secret', [fileOp('a.txt', 'a')])).status, 200);
    });
    after(async () => {
      await hub.close();
      await rm(work, { recursive: true, force: true });
    });

    test('one client downloading several files, and a whole snapshot, on one day counts once', async () => {
      assert.deepEqual((await stats()).allTime, 0);
      const opts = { repo: 'alice/dl', hubUrl: hub.url, fetch: fetchAs('client-A') };
      assert.equal(await (await downloadFile({ ...opts, path: 'config.json' }))!.text(), '{"model_type":"demo"}');
      assert.equal((await (await downloadFile({ ...opts, path: 'weights.bin' }))!.arrayBuffer()).byteLength, weights.length);
      const cacheDir = path.join(work, 'cache');
      await snapshotDownload({ ...opts, cacheDir });
      const s = await stats();
      assert.equal(s.allTime, 1);
      assert.equal(s.last30Days, 1);
      assert.equal(s.daily.length, 30);
      assert.deepEqual(s.daily.at(-1), { day: DAY0, count: 1 });
      assert.ok(s.daily.slice(0, -1).every((d: { count: number }) => d.count === 0));
    });

    test('HEAD, later range chunks, raw, 304 and missing files do not count', async () => {
      assert.equal((await get('resolve/main/weights.bin', 'client-B', { method: 'HEAD' })).status, 200);
      const chunk = await get('resolve/main/weights.bin', 'client-C', { headers: { range: 'bytes=1048576-2097151' } });
      assert.equal(chunk.status, 206);
      assert.equal((await chunk.arrayBuffer()).byteLength, 1048576);
      const raw = await get('raw/main/config.json', 'client-D');
      assert.equal(raw.status, 200);
      await raw.arrayBuffer();
      const first = await get('resolve/main/config.json', 'client-A');
      const etag = first.headers.get('etag')!;
      await first.arrayBuffer();
      const cached = await get('resolve/main/config.json', 'client-E', { headers: { 'if-none-match': etag } });
      assert.equal(cached.status, 304);
      await expectError(await get('resolve/main/nope.bin', 'client-F'), 404, 'EntryNotFound');
      assert.equal((await stats()).allTime, 1);
    });

    test('two clients count twice; a signed-in user counts once whatever the client', async () => {
      // JS reads a file's size with `Range: bytes=0-0` before downloading it: a range at 0 is a download.
      const probe = await get('resolve/main/weights.bin', 'client-G', { headers: { range: 'bytes=0-0' } });
      assert.equal(probe.status, 206);
      await probe.arrayBuffer();
      assert.equal((await stats()).allTime, 2);
      for (const ua of ['client-A', 'another-machine']) {
        const r = await get('resolve/main/config.json', ua, {}, t.bob);
        assert.equal(r.status, 200);
        await r.arrayBuffer();
      }
      assert.equal((await stats()).allTime, 3);
    });

    test('concurrent downloads of one client count once, of five clients five times', async () => {
      const before = (await stats()).allTime;
      await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const r = await get('resolve/main/README.md', `parallel-${i % 5}`);
          assert.equal(r.status, 200);
          await r.arrayBuffer();
        }),
      );
      assert.equal((await stats()).allTime, before + 5);
    });

    test('git clone and fetch count once; git ls-remote does not count', async () => {
      const before = (await stats()).allTime;
      await git(['ls-remote', `${hub.url}/alice/dl`], 'git-ls-remote-client');
      assert.equal((await stats()).allTime, before);
      await git(['clone', `${hub.url}/alice/dl`, path.join(work, 'clone')], 'git-clone-client');
      assert.equal((await stats()).allTime, before + 1);
      await exec('git', ['-c', 'http.userAgent=git-clone-client', 'fetch'], { cwd: path.join(work, 'clone'), env: { PATH: process.env.PATH, HOME: work, GIT_CONFIG_NOSYSTEM: '1' } });
      assert.equal((await stats()).allTime, before + 1, 'the same client on the same day');
    });

    test('another day is a new count; repo info shows 30 days and all time; the window moves', async () => {
      const day0 = (await stats()).allTime;
      setDay(at(DAY0, 1));
      await (await downloadFile({ repo: 'alice/dl', path: 'config.json', hubUrl: hub.url, fetch: fetchAs('client-A') }))!.text();
      const s = await stats();
      assert.equal(s.allTime, day0 + 1);
      assert.equal(s.last30Days, day0 + 1);
      assert.deepEqual(s.daily.slice(-2), [{ day: DAY0, count: day0 }, { day: `2026-03-11`, count: 1 }]);
      const info = await json(await api(`${hub.url}/api/models/alice/dl`));
      assert.equal(info.downloads, day0 + 1);
      assert.equal(info.downloadsAllTime, day0 + 1);
      const expanded = await json(await api(`${hub.url}/api/models/alice/dl?expand[]=downloadsAllTime`));
      assert.deepEqual(expanded, { _id: info._id, id: 'alice/dl', downloadsAllTime: day0 + 1 });
      const listed = await json(await api(`${hub.url}/api/models?author=alice&sort=downloads&expand=downloads&expand=downloadsAllTime`));
      assert.deepEqual(listed[0], { _id: info._id, id: 'alice/dl', downloads: day0 + 1, downloadsAllTime: day0 + 1 });

      // 30 days after the first day, that day has left the window; all time keeps it.
      setDay(at(DAY0, 30));
      const later = await stats();
      assert.equal(later.last30Days, 1);
      assert.equal(later.allTime, day0 + 1);
      assert.equal((await json(await api(`${hub.url}/api/models/alice/dl`))).downloads, 1);
      setDay(at(DAY0, 45));
      assert.equal((await stats()).last30Days, 0);
      const listedLater = await json(await api(`${hub.url}/api/models?author=alice&expand=downloads&expand=downloadsAllTime`));
      assert.deepEqual(listedLater.find((r: { id: string }) => r.id === 'alice/dl'), { _id: info._id, id: 'alice/dl', downloads: 0, downloadsAllTime: day0 + 1 });
    });

    test("a private repo's counts are as invisible as the repo", async () => {
      await expectError(await api(`${hub.url}/api/models/alice/dl-secret/downloads`, t.bob), 404, 'RepoNotFound');
      await expectError(await api(`${hub.url}/api/models/alice/dl-secret/downloads`), 401, 'RepoNotFound');
      await expectError(await api(`${hub.url}/alice/dl-secret/resolve/main/a.txt`, t.bob), 404, 'RepoNotFound');
      assert.equal((await stats('alice/dl-secret', t.alice)).allTime, 0);
      const r = await api(`${hub.url}/alice/dl-secret/resolve/main/a.txt`, t.alice);
      assert.equal(await r.text(), 'a');
      assert.equal((await stats('alice/dl-secret', t.alice)).allTime, 1);
      await expectError(await api(`${hub.url}/api/models/alice/dl/downloads`, t.bob, { method: 'POST' }), 405);
    });
  });
}
