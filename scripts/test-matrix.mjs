#!/usr/bin/env node
// Runs the test suite once per backend combination that can run here (README "Tests"):
// SQLite and PostgreSQL (when ORCHARD_TEST_PG_URL names a server), each on the folder blob store and
// on S3 (the s3rver emulator the tests start). The first pass, sqlite+folder, runs everything; the
// others run the integration suites (dist/test/*.test.js), which take their database and blob store
// from ORCHARD_TEST_BACKEND (test/helpers/hub.ts). Unit and storage-contract tests do not depend on
// the pass, so they run once. ORCHARD_TEST_BACKENDS=a,b limits the passes (e.g. sqlite+folder).
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const testDir = path.join(root, 'dist', 'test');
const hasPg = Boolean(process.env.ORCHARD_TEST_PG_URL);
const all = ['sqlite+folder', 'postgres+folder', 'sqlite+s3', 'postgres+s3'];
const asked = process.env.ORCHARD_TEST_BACKENDS?.split(',').map((s) => s.trim()).filter(Boolean);
for (const b of asked ?? []) {
  if (!all.includes(b)) {
    console.error(`ORCHARD_TEST_BACKENDS: unknown backend ${JSON.stringify(b)} (one of ${all.join(', ')})`);
    process.exit(2);
  }
}
const passes = (asked ?? all).filter((b) => {
  if (b.startsWith('postgres') && !hasPg) {
    console.log(`# ${b}: skipped, set ORCHARD_TEST_PG_URL=postgres://user@host:port/db to run it`);
    return false;
  }
  return true;
});
const integration = readdirSync(testDir).filter((f) => f.endsWith('.test.js')).sort().map((f) => path.join(testDir, f));
const extra = process.argv.slice(2);

function run(backend, targets) {
  return new Promise((resolve) => {
    const started = Date.now();
    console.log(`# ---- pass ${backend}: ${targets.length === 1 ? 'every test' : `${targets.length} integration suites`} ----`);
    const child = spawn(process.execPath, ['--test', '--test-concurrency=2', ...extra, ...targets], {
      stdio: 'inherit',
      env: { ...process.env, ORCHARD_TEST_BACKEND: backend },
    });
    child.on('close', (code, signal) => resolve({ backend, code: code ?? (signal ? 1 : 0), seconds: Math.round((Date.now() - started) / 1000) }));
  });
}

const results = [];
for (const backend of passes) {
  results.push(await run(backend, backend === 'sqlite+folder' ? [testDir] : integration));
}
console.log('# ---- backend passes ----');
for (const r of results) console.log(`# ${r.backend}: ${r.code === 0 ? 'pass' : `FAIL (exit ${r.code})`} in ${r.seconds} s`);
process.exit(results.every((r) => r.code === 0) && results.length > 0 ? 0 : 1);
