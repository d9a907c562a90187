/**
 * The benchmark client, run as its own process so that it does not compete
 * with the process that measures (or the server) for one event loop.
 *
 *   node dist/bench/client.js '{"mode":"get","requests":[…],"concurrency":1}'
 *   node dist/bench/client.js '{"mode":"verify","url":"…"}'
 *   node dist/bench/client.js '{"mode":"put","url":"…","file":"…","size":n}'
 *
 * Prints one JSON line with the result. Downloaded bytes are counted and
 * dropped (only `verify` hashes them).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import http from 'node:http';
import { pipeline } from 'node:stream/promises';

interface GetRequest {
  url: string;
  headers?: Record<string, string>;
  /** Inclusive byte range: sends `Range: bytes=a-b` and expects 206. */
  range?: [number, number];
}

type Task =
  | { mode: 'get'; requests: GetRequest[]; concurrency: number }
  | { mode: 'verify'; url: string; headers?: Record<string, string> }
  | { mode: 'put'; url: string; file: string; size: number; headers?: Record<string, string> };

interface GetResult {
  status: number;
  bytes: number;
  ms: number;
}

function now(): number {
  return performance.now();
}

function get(agent: http.Agent, r: GetRequest, onChunk?: (c: Buffer) => void): Promise<GetResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...r.headers };
    if (r.range) headers.range = `bytes=${r.range[0]}-${r.range[1]}`;
    const t0 = now();
    const req = http.get(r.url, { agent, headers }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        onChunk?.(c);
      });
      res.once('error', reject);
      res.once('end', () => {
        const status = res.statusCode ?? 0;
        const expectStatus = r.range ? 206 : 200;
        if (status !== expectStatus) return reject(new Error(`GET ${r.url}: status ${status}, expected ${expectStatus}`));
        const declared = Number(res.headers['content-length']);
        if (bytes !== declared) return reject(new Error(`GET ${r.url}: got ${bytes} bytes, Content-Length ${declared}`));
        if (r.range && bytes !== r.range[1] - r.range[0] + 1) return reject(new Error(`GET ${r.url}: range of ${bytes} bytes`));
        resolve({ status, bytes, ms: now() - t0 });
      });
    });
    req.once('error', reject);
  });
}

async function runGets(requests: GetRequest[], concurrency: number): Promise<{ bytes: number; ms: number; requests: GetResult[] }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const results: GetResult[] = new Array(requests.length);
  let next = 0;
  const t0 = now();
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const i = next++;
      results[i] = await get(agent, requests[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
  const ms = now() - t0;
  agent.destroy();
  return { bytes: results.reduce((s, r) => s + r.bytes, 0), ms, requests: results };
}

function put(url: string, file: string, size: number, headers: Record<string, string> = {}): Promise<{ status: number; ms: number; body: string }> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const req = http.request(url, { method: 'PUT', headers: { ...headers, 'content-length': String(size), 'content-type': 'application/octet-stream' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, ms: now() - t0, body }));
    });
    req.once('error', reject);
    pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), req).catch(reject);
  });
}

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2] ?? '{}') as Task;
  let result: unknown;
  if (task.mode === 'get') {
    result = await runGets(task.requests, task.concurrency);
  } else if (task.mode === 'verify') {
    const hash = createHash('sha256');
    const agent = new http.Agent();
    const r = await get(agent, { url: task.url, ...(task.headers ? { headers: task.headers } : {}) }, (c) => hash.update(c));
    result = { ...r, sha256: hash.digest('hex') };
  } else if (task.mode === 'put') {
    result = await put(task.url, task.file, task.size, task.headers);
  } else {
    throw new Error(`Unknown task ${JSON.stringify(task)}`);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
