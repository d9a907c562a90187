/**
 * The download baseline: the least a Node server can do to stream a file,
 * in its own process. Every GET gets the one file (or the `Range: bytes=a-b`
 * slice of it) through `fs.createReadStream(…, { highWaterMark })` piped to
 * the response, with no routing, auth, database or extra headers.
 *
 *   node dist/bench/baseline-server.js '{"file":"/path","highWaterMark":1048576}'
 *
 * Prints `listening http://127.0.0.1:PORT` once ready.
 */
import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const { file, highWaterMark } = JSON.parse(process.argv[2] ?? '{}') as { file: string; highWaterMark: number };
const size = statSync(file).size;

const server = http.createServer((req, res) => {
  const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  const end = m ? Math.min(Number(m[2]), size - 1) : size - 1;
  res.writeHead(m ? 206 : 200, {
    'Content-Length': String(end - start + 1),
    'Content-Type': 'application/octet-stream',
    ...(m ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}),
  });
  const stream = createReadStream(file, { start, end, highWaterMark });
  stream.pipe(res);
  res.once('close', () => stream.destroy());
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
