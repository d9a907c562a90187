import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { api, CLI, runCli } from './helpers/hub.js';


const orchard = (args: string[]): ReturnType<typeof runCli> => runCli(args);

describe('the orchard CLI, as scripts drive it', () => {
  let data: string;
  before(async () => {
    data = await mkdtemp(path.join(os.tmpdir(), 'orchard-cli-'));
  });
  after(() => rm(data, { recursive: true, force: true }));

  test('a first start tells how to get an admin token', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data', data], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (d) => {
        out += d;
        if (out.includes('token create')) resolve();
      });
      child.once('exit', () => reject(new Error(out)));
    });
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    assert.match(out, /Orchard is listening on http:\/\/127\.0\.0\.1:\d+/);
    assert.match(out, /orchard user create admin --admin/);
    assert.match(out, /orchard token create --user admin --write/);
  });

  test('user create, token create prints only the token, and the token works', async () => {
    const u = await orchard(['user', 'create', 'carol', '--admin', '--fullname', 'Carol C', '--data', data]);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(u.stdout, '');
    const dup = await orchard(['user', 'create', 'Carol', '--data', data]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists/);
    const bad = await orchard(['user', 'create', 'api', '--data', data]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /reserved/);
    const tok = await orchard(['token', 'create', '--user', 'carol', '--write', '--name', 'ci', '--data', data]);
    assert.equal(tok.code, 0, tok.stderr);
    assert.match(tok.stdout, /^hf_[A-Za-z0-9]{34}\n$/);
    const none = await orchard(['token', 'create', '--user', 'nobody', '--data', data]);
    assert.equal(none.code, 1);

    const child = spawn(process.execPath, [CLI, 'serve', '--data', data], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PORT: '0' } });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stderr!.on('data', (d) => {
        out += d;
        const m = /listening on (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', () => reject(new Error(out)));
    });
    try {
      const me = (await (await api(`${url}/api/whoami-v2`, tok.stdout.trim())).json()) as any;
      assert.equal(me.name, 'carol');
      assert.equal(me.fullname, 'Carol C');
      assert.equal(me.auth.accessToken.displayName, 'ci');
      assert.equal(me.auth.accessToken.role, 'write');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  test('bad configuration is reported, every problem at once', async () => {
    const r = await orchard(['serve', '--port', 'eighty', '--public-url', 'ftp://x', '--data', data]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /port must be an integer/);
    assert.match(r.stderr, /public URL must be an http\(s\) URL/);
    const usage = await orchard([]);
    assert.equal(usage.code, 1);
    assert.match(usage.stdout, /Usage: orchard/);
  });
});
