/**
 * Web UI benchmark: server-rendered pages of a big repo and a search over
 * many repos, against a static page of the same bytes served by the same
 * server.
 *
 *   npm run build && node dist/bench/ui.js        (BENCH_UI_REPOS=10000 for a quick run)
 *
 * Set-up, in one run:
 * - a repo with 5,000 small regular files in one nested folder
 *   (`data/shards/`), committed in one NDJSON commit through the API, and a
 *   model card with a table, code and math;
 * - 100,000 repos (`BENCH_UI_REPOS`) with tags, inserted straight into the
 *   hub's `repos` and `repo_tags` tables with Kysely, in one transaction.
 *   This is a shortcut for the benchmark: those repos have no git repository
 *   behind them (their pages would not open), but listing and search read only
 *   these two tables, exactly as for repos created through the API.
 *
 * The baseline: the hub runs in this process (`startHub`, as `orchard serve`
 * does), and its HTTP server gets one extra request listener in front of the
 * hub's app that answers `/__static/{page}` with bytes captured from the hub
 * itself (same body, same headers). So the static page has the same size and
 * goes through the same process, event loop, node:http server, keep-alive
 * connection and client; the ratio hub / static is what the hub spends on
 * routing, database and rendering. Nothing is added to the product.
 *
 * A separate client process (bench/ui-client.ts, node:http, one keep-alive
 * connection) alternates hub and static requests and records the time to the
 * response headers (TTFB) and to the last byte; medians over the rounds.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ANONYMOUS } from '../src/auth/actor.js';
import { loadConfig } from '../src/config/config.js';
import { startHub, type RunningHub } from '../src/main.js';
import { listRepos } from '../src/services/listing.js';
import { commitVia, createRepoVia, fileOp, seedUsers } from '../test/helpers/hub.js';
import { benchRounds, isMain, log, median, onCleanup, runCleanups, runNodeJson, summaryTable, table, tempDir, type SummaryRow } from './common.js';
import type { PairResult } from './ui-client.js';

const UI_CLIENT_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ui-client.js');
const REPO = 'bench-ui';
const FOLDER = 'data/shards';
const FILES = 5000;
const STATIC_PREFIX = '/__static/';

/** `BENCH_UI_REPOS` (default 100,000): how many repos the search runs over. */
function repoCount(): number {
  const raw = process.env.BENCH_UI_REPOS;
  const n = raw === undefined || raw === '' ? 100_000 : Number(raw);
  if (!Number.isInteger(n) || n < 1000) throw new Error(`BENCH_UI_REPOS must be an integer >= 1000, got ${JSON.stringify(raw)}`);
  return n;
}

const FAMILIES = ['llama', 'mistral', 'qwen', 'gemma', 'phi', 'bert', 'roberta', 't5', 'whisper', 'clip', 'gpt2', 'falcon', 'bloom', 'opt', 'deberta', 'electra', 'vit', 'wav2vec2', 'stablelm', 'olmo'];
const SIZES = ['125m', '350m', '1b', '3b', '7b', '8b', '13b', '70b'];
const VARIANTS = ['base', 'instruct', 'chat', 'finetuned', 'gguf', 'awq', 'lora', 'distilled'];
const TASKS = ['text-generation', 'text-classification', 'token-classification', 'translation', 'automatic-speech-recognition', 'image-classification', 'feature-extraction', 'fill-mask'];
const LIBRARIES = ['transformers', 'gguf', 'peft', 'sentence-transformers', 'diffusers', 'timm'];
const LICENSES = ['apache-2.0', 'mit', 'llama3', 'cc-by-4.0', 'openrail', 'other'];

/** A deterministic generator, so that every run searches the same data. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Inserts `n` model repos and their tags in one transaction (see the header: a benchmark shortcut). */
export async function insertRepos(running: RunningHub, n: number): Promise<void> {
  const rand = prng(42);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const now = Date.now();
  const BATCH = 1000;
  await running.hub.db.transaction().execute(async (trx) => {
    for (let start = 0; start < n; start += BATCH) {
      const repos = [];
      const tags: { repo_id: string; tag: string }[] = [];
      for (let i = start; i < Math.min(n, start + BATCH); i++) {
        const namespace = `org-${(i * 7919) % 2000}`;
        const name = `${pick(FAMILIES)}-${pick(SIZES)}-${pick(VARIANTS)}-${i}`;
        const task = pick(TASKS);
        const library = pick(LIBRARIES);
        const license = pick(LICENSES);
        const created = new Date(now - rand() * 365 * 86_400_000).toISOString();
        const id = `bench-${i.toString(36).padStart(6, '0')}`;
        repos.push({
          id, type: 'model' as const, namespace, name, full_name_lc: `${namespace}/${name}`.toLowerCase(), private: rand() < 0.02 ? 1 : 0,
          gated: null, disabled: 0, created_by: null, created_at: created, last_modified: created, default_branch: 'main', head_sha: null,
          card_data: JSON.stringify({ license, pipeline_tag: task, library_name: library }), pipeline_tag: task, library_name: library,
          downloads: Math.floor(1_000_000 / (1 + rand() * 5000)), likes: Math.floor(rand() * 500),
        });
        tags.push({ repo_id: id, tag: task }, { repo_id: id, tag: library }, { repo_id: id, tag: `license:${license}` });
        if (rand() < 0.5) tags.push({ repo_id: id, tag: 'en' });
      }
      await trx.insertInto('repos').values(repos).execute();
      for (let t = 0; t < tags.length; t += BATCH) await trx.insertInto('repo_tags').values(tags.slice(t, t + BATCH)).execute();
    }
  });
}

const CARD = `---
license: apache-2.0
pipeline_tag: text-generation
library_name: transformers
language: [en, fr, de]
tags: [benchmark]
---
# Bench model

A model card of ordinary length: headings, a table, code and math.

${Array.from({ length: 8 }, (_, i) => `## Section ${i + 1}

Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et
dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip.

| split | examples | accuracy |
|-------|---------:|---------:|
| train | ${1000 * (i + 1)} | 0.9${i} |
| test | ${100 * (i + 1)} | 0.8${i} |

\`\`\`python
from transformers import AutoModel
model = AutoModel.from_pretrained("alice/bench-ui")
print(model.config.hidden_size * ${i + 1})
\`\`\`

The loss is $L = -\\sum_i y_i \\log p_i$ and

$$
\\mathrm{softmax}(x)_i = \\frac{e^{x_i}}{\\sum_j e^{x_j}}
$$
`).join('\n')}`;

/** Commits README.md, config.json and 5,000 small files in one folder, in one NDJSON commit. */
async function createBigRepo(url: string, token: string): Promise<void> {
  const created = await createRepoVia({ url }, token, REPO);
  if (!created.ok) throw new Error(`create repo: ${created.status} ${await created.text()}`);
  const ops = [fileOp('README.md', CARD), fileOp('config.json', '{"hidden_size": 4096, "num_layers": 32}\n')];
  for (let i = 0; i < FILES; i++) ops.push(fileOp(`${FOLDER}/part-${String(i).padStart(5, '0')}.jsonl`, `{"id": ${i}, "text": "row ${i} of the benchmark data"}\n`.repeat(1 + (i % 7))));
  const res = await commitVia({ url }, token, `alice/${REPO}`, ops, { summary: `Add ${FILES} files` });
  if (!res.ok) throw new Error(`commit: ${res.status} ${await res.text()}`);
}

interface StaticPage {
  headers: Record<string, string>;
  body: Buffer;
}

/** Puts a listener in front of the hub's app that serves captured pages under `/__static/`. */
function addStaticRoute(running: RunningHub, pages: Map<string, StaticPage>): void {
  const [app] = running.server.listeners('request') as RequestListener[];
  if (!app || running.server.listenerCount('request') !== 1) throw new Error('expected exactly one request listener (the hub app)');
  running.server.removeAllListeners('request');
  running.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const page = req.url?.startsWith(STATIC_PREFIX) ? pages.get(req.url.slice(STATIC_PREFIX.length)) : undefined;
    if (!page) return app(req, res);
    res.writeHead(200, page.headers);
    res.end(page.body);
  });
}

/** GETs a page from the hub once and keeps its body and headers (except per-request ones). */
async function capture(url: string): Promise<StaticPage> {
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${body.toString().slice(0, 300)}`);
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    if (!['date', 'connection', 'keep-alive', 'x-request-id', 'transfer-encoding'].includes(k)) headers[k] = v;
  });
  headers['content-length'] = String(body.length);
  return { headers, body };
}

const ms = (x: number): string => (x < 10 ? x.toFixed(2) : x.toFixed(1));

/** Times `listRepos` alone, in process: what the database part of a search costs. */
async function timeQuery(running: RunningHub, search: string, filter: string[], runs: number, author?: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await listRepos(running.hub, ANONYMOUS, { type: 'model', search: search ? [search] : [], author, filter, sort: 'downloads', ascending: false, offset: 0, limit: 30 });
    times.push(performance.now() - t0);
  }
  return median(times);
}

export async function runUiBench(opts: { rounds?: number } = {}): Promise<SummaryRow[]> {
  const rounds = opts.rounds ?? benchRounds(15);
  const nRepos = repoCount();
  log(`\n== Web UI benchmark: a folder of ${FILES.toLocaleString('en')} files, search over ${nRepos.toLocaleString('en')} repos, ${rounds} alternating rounds ==`);

  const dataDir = await tempDir('orchard-bench-ui-');
  const tokens = await seedUsers(dataDir);
  // No rate limits: the client makes a few hundred requests from one address.
  const config = loadConfig({ port: '0', data: dataDir }, { ORCHARD_RATE_LIMIT_PER_IP: '0', ORCHARD_RATE_LIMIT_PER_TOKEN: '0' });
  const running = await startHub(config);
  const removeClose = onCleanup(() => running.close());

  let t0 = performance.now();
  await createBigRepo(running.url, tokens.alice);
  log(`set-up: one NDJSON commit of ${FILES.toLocaleString('en')} files in ${ms(performance.now() - t0)} ms`);
  t0 = performance.now();
  await insertRepos(running, nRepos);
  log(`set-up: ${nRepos.toLocaleString('en')} repos and their tags inserted in one transaction in ${ms(performance.now() - t0)} ms (benchmark shortcut: rows only, no git)`);

  const pages: [string, string][] = [
    ['tree: folder of 5,000 files', `/alice/${REPO}/tree/main/${FOLDER}`],
    ['repo card page', `/alice/${REPO}`],
    ['search "llama"', '/models?search=llama'],
    ['search rare name', `/models?search=${encodeURIComponent(`-${Math.floor(nRepos * 0.7)}`)}`],
    ['search + filters', '/models?search=llama&filter=text-generation&license=apache-2.0'],
  ];
  const captured = new Map<string, StaticPage>();
  for (const [, p] of pages) captured.set(encodeURIComponent(p), await capture(`${running.url}${p}`));
  const tree = captured.get(encodeURIComponent(pages[0]![1]))!.body.toString();
  const rows = (tree.match(/<tr>/g) ?? []).length;
  if (rows !== FILES) throw new Error(`the tree page lists ${rows} rows, expected ${FILES}`);
  for (const [name, p] of pages.slice(2)) {
    const hits = (captured.get(encodeURIComponent(p))!.body.toString().match(/class="name"/g) ?? []).length;
    if (hits === 0) throw new Error(`${name}: no results`);
  }
  addStaticRoute(running, captured);

  const results = await runNodeJson<PairResult[]>(UI_CLIENT_SCRIPT, {
    pairs: pages.map(([name, p]) => ({ name, hub: `${running.url}${p}`, static: `${running.url}${STATIC_PREFIX}${encodeURIComponent(p)}` })),
    rounds,
    warmup: 3,
  });

  const out: string[][] = [];
  const summary: SummaryRow[] = [];
  for (const r of results) {
    const h = { ttfb: median(r.hub.map((x) => x.ttfb)), total: median(r.hub.map((x) => x.total)) };
    const s = { ttfb: median(r.static.map((x) => x.ttfb)), total: median(r.static.map((x) => x.total)) };
    const kb = `${(r.hub[0]!.bytes / 1024).toFixed(0)} KiB`;
    out.push([r.name, kb, ms(h.ttfb), ms(s.ttfb), (h.ttfb / s.ttfb).toFixed(1), ms(h.total), ms(s.total), (h.total / s.total).toFixed(1)]);
    summary.push({
      bench: `ui ${r.name} (${kb})`,
      hub: `${ms(h.ttfb)} / ${ms(h.total)} ms`,
      baseline: `${ms(s.ttfb)} / ${ms(s.total)} ms`,
      ratio: `${(h.ttfb / s.ttfb).toFixed(1)} / ${(h.total / s.total).toFixed(1)}`,
      target: 'median TTFB / total',
      ok: undefined,
    });
  }
  log(`\nmedians of ${rounds} rounds (ms); static = the same bytes from the same server (see bench/ui.ts)`);
  log(table(['page', 'size', 'TTFB hub', 'TTFB static', 'ratio', 'total hub', 'total static', 'ratio'], out));

  log('\nthe search query alone (listRepos in process, anonymous, sort=downloads, median of 9):');
  log(
    table(
      ['query', 'ms'],
      [
        ['search "llama"', ms(await timeQuery(running, 'llama', [], 9))],
        ['search rare name', ms(await timeQuery(running, `-${Math.floor(nRepos * 0.7)}`, [], 9))],
        ['search "llama" + 2 tags', ms(await timeQuery(running, 'llama', ['text-generation', 'license:apache-2.0'], 9))],
        ['no search, 2 tags', ms(await timeQuery(running, '', ['text-generation', 'license:apache-2.0'], 9))],
        ['no search (home page list)', ms(await timeQuery(running, '', [], 9))],
        ['author (namespace page)', ms(await timeQuery(running, '', [], 9, 'org-7'))],
      ],
    ),
  );
  removeClose();
  await running.close();
  return summary;
}

if (isMain(import.meta.url)) {
  runUiBench()
    .then((rows) => log('\n' + summaryTable(rows)))
    .catch((err: unknown) => {
      process.exitCode = 1;
      log(err instanceof Error ? err.stack ?? err.message : String(err));
    })
    .finally(() => runCleanups());
}
