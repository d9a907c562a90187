/**
 * The baseline of the mirror benchmark: Debian's nginx as a caching reverse
 * proxy in front of hub A, configured the way public mirror sites run it
 * (whole responses cached on disk, `proxy_cache_lock`, no compression), in a
 * prefix of its own under a temp folder, as the current user.
 *
 * One master and one worker process: the production layout (the master only
 * forks and waits; with the cache loader and manager it is idle during a
 * transfer), and one worker with one event loop, as the hub under test is one
 * Node process. The CPU figures add up every process of the tree.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cpuSeconds, onCleanup, stopChild } from './common.js';

export const NGINX = process.env.BENCH_NGINX ?? '/usr/sbin/nginx';

export interface NginxCache {
  url: string;
  /** The master process; the worker and the cache helpers are its children. */
  child: ChildProcess;
  /** CPU seconds of the master and all its children so far. */
  cpuSeconds(): number;
  /** Every request logged so far, oldest first, with its `$upstream_cache_status` (MISS, HIT, …). */
  requests(): Promise<{ method: string; uri: string; status: number; cacheStatus: string }[]>;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (nginx cannot be asked to pick one and tell). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function config(dir: string, port: number, upstream: string): string {
  // As root, nginx would switch its worker to `nobody`, who cannot write into a 0700 temp folder.
  const user = process.getuid?.() === 0 ? `user ${os.userInfo().username};\n` : '';
  const tmp = (name: string): string => path.join(dir, 'tmp', name);
  return `# Written by bench/mirror-nginx.ts for one benchmark run.
${user}daemon off;
master_process on;
worker_processes 1;
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'error.log')} warn;
events { worker_connections 256; }
http {
  log_format bench '$request_method $request_uri $status $upstream_cache_status $body_bytes_sent';
  access_log ${path.join(dir, 'access.log')} bench;
  default_type application/octet-stream;
  client_body_temp_path ${tmp('body')};
  fastcgi_temp_path ${tmp('fastcgi')};
  uwsgi_temp_path ${tmp('uwsgi')};
  scgi_temp_path ${tmp('scgi')};
  # The temp file of a fill is renamed into the cache: same file system.
  proxy_temp_path ${tmp('proxy')};
  proxy_cache_path ${path.join(dir, 'cache')} levels=1:2 keys_zone=mirror:16m max_size=64g inactive=7d use_temp_path=on;
  sendfile on;
  tcp_nopush on;
  gzip off;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass ${upstream};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Accept-Encoding "";
      proxy_buffering on;
      proxy_cache mirror;
      proxy_cache_valid 200 1h;
      proxy_cache_lock on;
      proxy_cache_lock_timeout 1h;
      # The hub marks its answers private, max-age=0 (right for a hub); a mirror site caches them anyway.
      proxy_ignore_headers Cache-Control Expires Set-Cookie Vary;
      proxy_max_temp_file_size 65536m;
      add_header X-Cache-Status $upstream_cache_status always;
    }
  }
}
`;
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** CPU of a process and its descendants; children that already exited count through the parent's cutime. */
function treeCpuSeconds(pid: number): number {
  return cpuSeconds(pid) + childPids(pid).reduce((sum, c) => sum + treeCpuSeconds(c), 0);
}

async function waitForPort(port: number, child: ChildProcess, errorLog: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  const log = await readFile(errorLog, 'utf8').catch(() => '');
  throw new Error(`nginx did not start (exit ${child.exitCode}): ${log.trim()}`);
}

/**
 * Starts nginx with an empty cache in `dir` (whatever was there is removed
 * first), proxying and caching `upstream`.
 */
export async function startNginxCache(dir: string, upstream: string): Promise<NginxCache> {
  await rm(dir, { recursive: true, force: true });
  for (const d of ['cache', 'tmp/proxy', 'tmp/body', 'tmp/fastcgi', 'tmp/uwsgi', 'tmp/scgi']) await mkdir(path.join(dir, d), { recursive: true });
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  await writeFile(conf, config(dir, port, upstream));
  const errorLog = path.join(dir, 'error.log');
  // `-e`: the start-up error log, which otherwise goes to the built-in path before the config is read.
  const child = spawn(NGINX, ['-p', dir, '-c', conf, '-e', errorLog], { stdio: ['ignore', 'inherit', 'inherit'] });
  // SIGTERM, not SIGKILL: a killed master would leave its worker behind.
  const remove = onCleanup(() => stopChild(child));
  await waitForPort(port, child, errorLog);
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    cpuSeconds: () => treeCpuSeconds(child.pid!),
    async requests() {
      const log = await readFile(path.join(dir, 'access.log'), 'utf8').catch(() => '');
      return log
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [method = '', uri = '', status = '', cacheStatus = ''] = line.split(' ');
          return { method, uri, status: Number(status), cacheStatus };
        });
    },
    async stop() {
      remove();
      // SIGTERM: fast shutdown of the master and its worker.
      await stopChild(child);
    },
  };
}
