/**
 * The page-timing client of bench/ui.ts, run as its own process so that it
 * does not share an event loop with the server it measures.
 *
 *   node dist/bench/ui-client.js '{"pairs":[{"name":"…","hub":"http://…","static":"http://…"}],"rounds":15,"warmup":3}'
 *
 * For every pair it first makes `warmup` untimed requests to both URLs, then
 * `rounds` rounds of one request to each, alternating which goes first. One
 * keep-alive connection, one request at a time. Per request it records the
 * time to the response headers (the first bytes the server sends: TTFB) and
 * to the last byte of the body (total). Prints one JSON line.
 */
import http from 'node:http';

interface Pair {
  name: string;
  hub: string;
  static: string;
}

interface Timing {
  ttfb: number;
  total: number;
  bytes: number;
}

export interface PairResult {
  name: string;
  hub: Timing[];
  static: Timing[];
}

function timedGet(agent: http.Agent, url: string): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { agent }, (res) => {
      const ttfb = performance.now() - t0;
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.once('error', reject);
      res.once('end', () => {
        const total = performance.now() - t0;
        if (res.statusCode !== 200) return reject(new Error(`GET ${url}: status ${res.statusCode}`));
        const declared = Number(res.headers['content-length']);
        if (bytes !== declared) return reject(new Error(`GET ${url}: ${bytes} bytes, Content-Length ${declared}`));
        resolve({ ttfb, total, bytes });
      });
    });
    req.once('error', reject);
  });
}

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2] ?? '{}') as { pairs: Pair[]; rounds: number; warmup: number };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const results: PairResult[] = [];
  for (const pair of task.pairs) {
    for (let i = 0; i < task.warmup; i++) {
      await timedGet(agent, pair.hub);
      await timedGet(agent, pair.static);
    }
    const result: PairResult = { name: pair.name, hub: [], static: [] };
    for (let r = 0; r < task.rounds; r++) {
      const order = r % 2 === 0 ? (['static', 'hub'] as const) : (['hub', 'static'] as const);
      for (const kind of order) result[kind].push(await timedGet(agent, pair[kind]));
    }
    results.push(result);
  }
  agent.destroy();
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
