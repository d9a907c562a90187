import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { BlobStore } from '../src/storage/blob-store.js';
import { api, commitVia, createRepoVia, fileOp, lfsOp, startTestHub, type TestHub, uploadLfs } from './helpers/hub.js';

const REPO = 'alice/data';

async function page(hub: TestHub, file: string): Promise<{ status: number; body: string }> {
  const r = await api(`${hub.url}/datasets/${REPO}/blob/main/${file}`);
  return { status: r.status, body: await r.text() };
}

/** The column headers of a preview table as `name:type`. */
function headers(body: string): string[] {
  return [...body.matchAll(/<th scope="col">(.*?)<span class="type">(.*?)<\/span><\/th>/g)].map((m) => `${m[1]}:${m[2]}`);
}

/** The cells of the preview table's rows. */
function rows(body: string): string[][] {
  const tbody = /<table class="data">.*?<tbody>(.*?)<\/tbody>/s.exec(body)?.[1] ?? '';
  return [...tbody.matchAll(/<tr>(.*?)<\/tr>/gs)].map((r) => [...r[1]!.matchAll(/<td[^>]*>(.*?)<\/td>/gs)].map((c) => c[1]!));
}

/** Wraps the hub's blob store, adding up the bytes every read asks it for. */
function countReads(hub: TestHub): { bytes: () => number; restore: () => void } {
  const holder = hub.running.hub as { blobs: BlobStore };
  const inner = holder.blobs;
  let bytes = 0;
  holder.blobs = {
    kind: `counting ${inner.kind}`,
    stat: (oid) => inner.stat(oid),
    put: (oid, size, source) => inner.put(oid, size, source),
    delete: (oid) => inner.delete(oid),
    async read(oid, range) {
      bytes += range ? range.end - range.start + 1 : ((await inner.stat(oid))?.size ?? 0);
      return inner.read(oid, range);
    },
  };
  return { bytes: () => bytes, restore: () => (holder.blobs = inner) };
}

describe('web UI: dataset previews on the blob page', () => {
  let hub: TestHub;
  let fixtures: string;
  const bigCsvSize = 50 * 1024 * 1024;
  let bigParquetSize = 0;

  before(async () => {
    hub = await startTestHub();
    fixtures = await mkdtemp(path.join(os.tmpdir(), 'orchard-preview-'));
    assert.equal((await createRepoVia(hub, hub.tokens.alice, 'data', { type: 'dataset' })).status, 200);

    // Parquet fixtures written with hyparquet-writer: a small one in git, a many-row-group one in LFS.
    const n = 1000;
    const small = parquetWriteBuffer({
      columnData: [
        { name: 'id', data: Int32Array.from({ length: n }, (_x, i) => i), type: 'INT32' },
        { name: 'big', data: Array.from({ length: n }, (_x, i) => BigInt(i) * 10_000_000_000n), type: 'INT64' },
        { name: 'name', data: Array.from({ length: n }, (_x, i) => (i === 1 ? '<img src=x onerror=alert(1)>' : `row ${i}`)), type: 'STRING' },
        { name: 'score', data: Array.from({ length: n }, (_x, i) => i / 4), type: 'DOUBLE' },
        { name: 'flag', data: Array.from({ length: n }, (_x, i) => (i % 3 === 0 ? null : i % 2 === 0)), type: 'BOOLEAN' },
      ],
      rowGroupSize: 250,
    });
    await writeFile(path.join(fixtures, 'small.parquet'), new Uint8Array(small));
    const m = 200_000;
    const large = parquetWriteBuffer({
      columnData: [
        { name: 'id', data: Int32Array.from({ length: m }, (_x, i) => i), type: 'INT32' },
        { name: 'text', data: Array.from({ length: m }, (_x, i) => `sample text number ${i} ${'x'.repeat(i % 50)}`), type: 'STRING' },
      ],
      rowGroupSize: 10_000,
    });
    await writeFile(path.join(fixtures, 'large.parquet'), new Uint8Array(large));
    const largeBytes = await readFile(path.join(fixtures, 'large.parquet'));
    bigParquetSize = largeBytes.length;

    // A 50 MiB CSV, stored through LFS.
    const header = 'id,label,value\n';
    const lines: string[] = [header];
    let size = header.length;
    for (let i = 0; size < bigCsvSize; i++) {
      const line = `${i},"label, number ${i}",${(i * 0.5).toFixed(1)}\n`;
      lines.push(line);
      size += line.length;
    }
    const bigCsv = Buffer.from(lines.join('')).subarray(0, bigCsvSize);
    const csvObj = await uploadLfs(hub, hub.tokens.alice, REPO, bigCsv, 'datasets/');
    const pqObj = await uploadLfs(hub, hub.tokens.alice, REPO, largeBytes, 'datasets/');

    const ops = [
      fileOp('people.csv', 'name,comment,score,ok,empty\n"Smith, J.","said ""hi""",3.5,true,\nDoe,"two\nlines",4,FALSE,\n"<script>alert(1)</script>",,-2,true,\n'),
      fileOp('tabs.tsv', 'a\tb\n1\tx, y\n2\tz\n'),
      fileOp('mixed.jsonl', [
        JSON.stringify({ id: 1, text: 'first', score: 0.5, flag: true, tags: ['a', 'b'], meta: { k: 1 } }),
        JSON.stringify({ id: 2, text: null, score: 2, flag: false, extra: '<script>alert(1)</script>' }),
        '',
        JSON.stringify({ id: 'three', text: 'third' }),
      ].join('\n') + '\n'),
      fileOp('broken.jsonl', '{"ok": 1}\n{not json}\n'),
      fileOp('records.json', JSON.stringify({ data: [{ q: 'why?', a: 42 }, { q: 'how?', a: null }] })),
      fileOp('config.json', JSON.stringify({ hidden_size: 768, layers: 12 })),
      fileOp('small.parquet', await readFile(path.join(fixtures, 'small.parquet'))),
      fileOp('bad.parquet', Buffer.concat([Buffer.from('PAR1 this is not parquet at all'), Buffer.from([200, 0, 0, 0]), Buffer.from('PAR1')])),
      fileOp('corrupt.parquet', Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64, 0xee), Buffer.from([40, 0, 0, 0]), Buffer.from('PAR1')])),
      fileOp('blob.bin', Buffer.from([0, 159, 146, 150, 0, 1, 2, 3])),
      fileOp('nul.csv', Buffer.from([97, 44, 98, 10, 0, 0, 0, 10])),
      fileOp('table.arrow', Buffer.from('ARROW1\0\0')),
      fileOp('empty.csv', ''),
      lfsOp('big.csv', csvObj),
      lfsOp('large.parquet', pqObj),
    ];
    const r = await commitVia(hub, hub.tokens.alice, REPO, ops, { type: 'datasets', summary: 'Add data' });
    assert.equal(r.status, 200, await r.clone().text());
  });
  after(async () => {
    await hub.close();
    await rm(fixtures, { recursive: true, force: true });
  });

  test('CSV: a header, quoted commas, quotes and newlines, inferred types, escaped cells', async () => {
    const { status, body } = await page(hub, 'people.csv');
    assert.equal(status, 200);
    assert.deepEqual(headers(body), ['name:string', 'comment:string', 'score:float', 'ok:bool', 'empty:null']);
    const cells = rows(body);
    assert.equal(cells.length, 3);
    assert.deepEqual(cells[0], ['Smith, J.', 'said &quot;hi&quot;', '3.5', 'true', 'null']);
    assert.deepEqual(cells[1]!.slice(0, 2), ['Doe', 'two\nlines']);
    assert.equal(cells[2]![0], '&lt;script&gt;alert(1)&lt;/script&gt;');
    assert.ok(!body.includes('<script>alert(1)'), 'nothing from the file runs');
    assert.ok(body.includes('All 3 rows'));
  });

  test('TSV uses tabs, so commas stay inside cells', async () => {
    const { body } = await page(hub, 'tabs.tsv');
    assert.deepEqual(headers(body), ['a:int', 'b:string']);
    assert.deepEqual(rows(body), [['1', 'x, y'], ['2', 'z']]);
  });

  test('JSON Lines: columns in order of appearance, mixed types, nested values as JSON', async () => {
    const { status, body } = await page(hub, 'mixed.jsonl');
    assert.equal(status, 200);
    assert.deepEqual(headers(body), ['id:mixed', 'text:string', 'score:float', 'flag:bool', 'tags:list', 'meta:struct', 'extra:string']);
    const cells = rows(body);
    assert.equal(cells.length, 3);
    assert.deepEqual(cells[0], ['1', 'first', '0.5', 'true', '[&quot;a&quot;,&quot;b&quot;]', '{&quot;k&quot;:1}', 'null']);
    assert.equal(cells[1]![6], '&lt;script&gt;alert(1)&lt;/script&gt;');
    assert.equal(cells[2]![0], 'three');
  });

  test('a JSON array of records is a table; other JSON keeps the highlighted text view', async () => {
    const records = await page(hub, 'records.json');
    assert.deepEqual(headers(records.body), ['q:string', 'a:int']);
    assert.deepEqual(rows(records.body), [['why?', '42'], ['how?', 'null']]);
    const config = await page(hub, 'config.json');
    assert.equal(headers(config.body).length, 0);
    assert.ok(config.body.includes('table class="code"'), 'the text view');
    assert.ok(config.body.includes('hidden_size'));
  });

  test('Parquet: column names and types from the schema, the first 100 rows of many', async () => {
    const { status, body } = await page(hub, 'small.parquet');
    assert.equal(status, 200);
    assert.deepEqual(headers(body), ['id:int32', 'big:int64', 'name:string', 'score:double', 'flag:bool']);
    const cells = rows(body);
    assert.equal(cells.length, 100);
    assert.deepEqual(cells[0], ['0', '0', 'row 0', '0', 'null']);
    assert.deepEqual(cells[2], ['2', '20000000000', 'row 2', '0.5', 'true']);
    assert.deepEqual(cells[99]!.slice(0, 1), ['99']);
    assert.equal(cells[1]![2], '&lt;img src=x onerror=alert(1)&gt;');
    assert.ok(body.includes('First 100 of 1,000 rows'));
  });

  test('a Parquet file in LFS reads its footer and first row group, not the whole file', async () => {
    const reads = countReads(hub);
    try {
      const { status, body } = await page(hub, 'large.parquet');
      assert.equal(status, 200);
      assert.deepEqual(headers(body), ['id:int32', 'text:string']);
      assert.equal(rows(body).length, 100);
      assert.ok(body.includes('First 100 of 200,000 rows'));
      assert.ok(reads.bytes() > 0);
      assert.ok(reads.bytes() < bigParquetSize / 5, `read ${reads.bytes()} of ${bigParquetSize} bytes`);
    } finally {
      reads.restore();
    }
  });

  test('a 50 MiB CSV in LFS renders its first rows from the head of the file only', async () => {
    const reads = countReads(hub);
    try {
      const { status, body } = await page(hub, 'big.csv');
      assert.equal(status, 200);
      assert.deepEqual(headers(body), ['id:int', 'label:string', 'value:float']);
      const cells = rows(body);
      assert.equal(cells.length, 100);
      assert.deepEqual(cells[7], ['7', 'label, number 7', '3.5']);
      assert.ok(body.includes('First 100 rows'));
      assert.ok(reads.bytes() <= 1024 * 1024, `read ${reads.bytes()} bytes of ${bigCsvSize}`);
    } finally {
      reads.restore();
    }
  });

  test('malformed files get a message, never an error page', async () => {
    const bad = await page(hub, 'bad.parquet');
    assert.equal(bad.status, 200);
    assert.match(bad.body, /class="empty preview-message">This Parquet file is malformed/);
    const corrupt = await page(hub, 'corrupt.parquet');
    assert.equal(corrupt.status, 200);
    assert.match(corrupt.body, /class="empty preview-message">This Parquet file could not be read/);
    const jsonl = await page(hub, 'broken.jsonl');
    assert.equal(jsonl.status, 200);
    assert.ok(jsonl.body.includes('Line 2 is not valid JSON'));
    const nul = await page(hub, 'nul.csv');
    assert.ok(nul.body.includes('binary data'));
    const empty = await page(hub, 'empty.csv');
    assert.equal(empty.status, 200);
    assert.ok(empty.body.includes('no rows to preview'));
  });

  test('formats without a reader say so; other binary files keep the download card', async () => {
    const arrow = await page(hub, 'table.arrow');
    assert.equal(arrow.status, 200);
    assert.ok(arrow.body.includes('No preview for .arrow files yet'));
    const bin = await page(hub, 'blob.bin');
    assert.equal(bin.status, 200);
    assert.match(bin.body, /Binary file \(8 B\)\. <a href="\/datasets\/alice\/data\/resolve\/main\/blob.bin\?download=true">Download it<\/a>/);
    assert.equal(headers(bin.body).length, 0);
  });
});
