/**
 * Worker thread of `HashWritePool`: hashes (sha256) and writes one upload at a
 * time to its temp file, so that the main thread only receives the bytes.
 * Messages: `open {path}`, `chunk {buffer, offset, length}` (the buffer is
 * transferred), `finish` (fsync, close, digest), `abort` (close). Every message
 * gets exactly one answer: `ok`, `ack`, `done {sha256, bytes}` or `error`.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

export type ToWorker =
  | { type: 'open'; path: string }
  | { type: 'chunk'; buffer: ArrayBuffer; offset: number; length: number }
  | { type: 'finish' }
  | { type: 'abort' };

export type FromWorker = { type: 'ok' } | { type: 'ack'; length: number } | { type: 'done'; sha256: string; bytes: number } | { type: 'error'; message: string };

let fd: number | undefined;
let hash: Hash | undefined;
let bytes = 0;

function close(): void {
  if (fd !== undefined) closeSync(fd);
  fd = undefined;
  hash = undefined;
}

function handle(msg: ToWorker): FromWorker {
  switch (msg.type) {
    case 'open':
      close();
      // 'wx': the temp name is random; never write into a file someone else made.
      fd = openSync(msg.path, 'wx', 0o644);
      hash = createHash('sha256');
      bytes = 0;
      return { type: 'ok' };
    case 'chunk': {
      if (fd === undefined || !hash) throw new Error('no upload is open');
      const view = new Uint8Array(msg.buffer, msg.offset, msg.length);
      hash.update(view);
      let done = 0;
      while (done < view.length) done += writeSync(fd, view, done, view.length - done);
      bytes += view.length;
      return { type: 'ack', length: view.length };
    }
    case 'finish': {
      if (fd === undefined || !hash) throw new Error('no upload is open');
      // fsync before the caller renames, so that a power cut cannot leave an empty file under the final name.
      fsyncSync(fd);
      const sha256 = hash.digest('hex');
      close();
      return { type: 'done', sha256, bytes };
    }
    case 'abort':
      close();
      return { type: 'ok' };
  }
}

parentPort?.on('message', (msg: ToWorker) => {
  let answer: FromWorker;
  try {
    answer = handle(msg);
  } catch (err) {
    try {
      close();
    } catch {
      // the fd is gone either way
    }
    answer = { type: 'error', message: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(answer);
});
