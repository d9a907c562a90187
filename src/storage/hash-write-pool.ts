import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './hash-write-worker.js';

/** Bytes gathered into one message to the worker: fewer, larger messages than the socket's 64 KiB chunks. */
const BATCH = 1024 * 1024;
/**
 * Batches start this far into their allocation: a large allocation lands 16
 * bytes past a page boundary, where the kernel copies at a fraction of its
 * speed on these machines (docs/benchmarks.md).
 */
const BATCH_OFFSET = 2048;
/** Received but not yet written bytes before the receiver waits for the worker. */
const MAX_IN_FLIGHT = 8 * BATCH;

/** One worker thread and the answers it owes, in order (it handles one message at a time). */
class HashWriteWorker {
  private readonly worker: Worker;
  private readonly waiting: { resolve(a: FromWorker): void; reject(e: Error): void }[] = [];
  private failure: Error | undefined;

  constructor() {
    this.worker = new Worker(new URL('./hash-write-worker.js', import.meta.url));
    this.worker.on('message', (m: FromWorker) => this.waiting.shift()?.resolve(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the hashing worker exited with code ${code}`)));
    // Idle workers must not keep a process alive (the CLI, tests); busy ones must, or a script
    // awaiting an upload would exit under it. Set after the listeners: adding one refs the port again.
    this.worker.unref();
  }

  get broken(): boolean {
    return this.failure !== undefined;
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.splice(0)) w.reject(err);
  }

  async send(msg: ToWorker, transfer: ArrayBuffer[] = []): Promise<FromWorker> {
    if (this.failure) throw this.failure;
    const answer = await new Promise<FromWorker>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(msg, transfer);
    });
    if (answer.type === 'error') throw new Error(answer.message);
    return answer;
  }

  /** Keeps the process alive while an upload is in progress (true) or not (false). */
  busy(on: boolean): void {
    if (on) this.worker.ref();
    else this.worker.unref();
  }

  terminate(): void {
    void this.worker.terminate();
  }
}

/**
 * Worker threads that hash and write uploads, so that receiving a large body
 * (HTTP parsing, on the main thread) overlaps its sha256 and its writes. With
 * every worker busy, callers do the work inline instead of queueing.
 */
export class HashWritePool {
  private readonly idle: HashWriteWorker[] = [];
  private busy = 0;

  constructor(private readonly size: number) {}

  /**
   * Streams `source` into a new file at `file` (which must not exist), at most
   * `limit` bytes (more rejects with `tooLarge()`), fsyncs it and returns its
   * sha256 and length; undefined when every worker is busy. On failure the
   * file may exist, closed: the caller removes it.
   */
  async write(file: string, limit: number, source: AsyncIterable<Uint8Array>, tooLarge: () => Error): Promise<{ sha256: string; bytes: number } | undefined> {
    if (this.busy >= this.size) return undefined;
    this.busy++;
    const worker = this.idle.pop() ?? new HashWriteWorker();
    worker.busy(true);
    try {
      return await pump(worker, file, limit, source, tooLarge);
    } catch (err) {
      // Close the file (and reset the worker) before the caller removes it.
      await worker.send({ type: 'abort' }).catch(() => undefined);
      throw err;
    } finally {
      this.busy--;
      worker.busy(false);
      if (worker.broken) worker.terminate();
      else this.idle.push(worker);
    }
  }
}

async function pump(worker: HashWriteWorker, file: string, limit: number, source: AsyncIterable<Uint8Array>, tooLarge: () => Error): Promise<{ sha256: string; bytes: number }> {
  await worker.send({ type: 'open', path: file });
  const acks: Promise<FromWorker>[] = [];
  let inFlight = 0;
  let received = 0;
  let batch = newBatch();
  let filled = 0;
  const flush = async (): Promise<void> => {
    if (filled === 0) return;
    const buffer = batch.buffer as ArrayBuffer;
    acks.push(worker.send({ type: 'chunk', buffer, offset: BATCH_OFFSET, length: filled }, [buffer]));
    inFlight += filled;
    batch = newBatch();
    filled = 0;
    while (inFlight > MAX_IN_FLIGHT) {
      const ack = await acks.shift()!;
      if (ack.type === 'ack') inFlight -= ack.length;
    }
  };
  try {
    for await (const chunk of source) {
      received += chunk.length;
      if (received > limit) throw tooLarge();
      let at = 0;
      while (at < chunk.length) {
        const n = Math.min(BATCH - filled, chunk.length - at);
        batch.set(chunk.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === BATCH) await flush();
      }
    }
    await flush();
    await Promise.all(acks.splice(0));
  } finally {
    // A failed receive must not leave rejections of queued writes unhandled.
    for (const a of acks) a.catch(() => undefined);
  }
  const done = await worker.send({ type: 'finish' });
  if (done.type !== 'done') throw new Error(`unexpected answer ${done.type} from the hashing worker`);
  return { sha256: done.sha256, bytes: done.bytes };
}

function newBatch(): Uint8Array {
  return new Uint8Array(new ArrayBuffer(BATCH_OFFSET + BATCH), BATCH_OFFSET, BATCH);
}
