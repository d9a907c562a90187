import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { CheckedTarget } from './webhook-targets.js';

/**
 * One POST to an address that `checkTarget` (webhook-targets.ts) has just
 * vetted, connecting to that very address: the request's `lookup` answers
 * with it whatever the resolver would say now, so a DNS answer that changes
 * between the check and the connection (rebinding) cannot send the request
 * elsewhere. TLS still verifies the certificate against the URL's host name.
 * Used by webhook deliveries and live arena calls.
 *
 * - A fresh connection every time (`agent: false`): a pooled socket could
 *   lead to an address checked for another request.
 * - Redirects are never followed (node:http does not): a 3xx is an answer.
 * - One timeout over the whole exchange (connect, send, read).
 * - At most `maxBytes` of the answer are read; beyond that the connection is
 *   dropped and `overflow` says so.
 * - Never rejects: failures are in the result.
 */

export interface PinnedResult {
  /** null when no answer started (connection refused, timeout, abort) */
  status: number | null;
  /** the answer's bytes, at most maxBytes */
  body: Buffer;
  /** the answer was longer than maxBytes (and was cut) */
  overflow: boolean;
  /** the answer was read to its end */
  complete: boolean;
  timedOut: boolean;
  /** why no answer started */
  error: string | null;
  durationMs: number;
}

export interface PinnedPostOptions {
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal;
}

/** A `lookup` that connects to the checked address whatever the resolver would say now. */
export function pinnedLookup(target: CheckedTarget): LookupFunction {
  return ((_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    if (opts?.all) cb(null, [{ address: target.address, family: target.family }]);
    else cb(null, target.address, target.family);
  }) as unknown as LookupFunction;
}

export function pinnedPost(target: CheckedTarget, opts: PinnedPostOptions): Promise<PinnedResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    let timedOut = false;
    const finish = (r: Omit<PinnedResult, 'durationMs' | 'timedOut'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, timedOut, durationMs: Date.now() - started });
    };
    const mod = target.url.protocol === 'https:' ? https : http;
    const req = mod.request(target.url, {
      method: 'POST',
      headers: { ...opts.headers, 'Content-Length': String(Buffer.byteLength(opts.body)) },
      lookup: pinnedLookup(target),
      agent: false,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    req.on('error', (err) => finish({ status: null, body: Buffer.alloc(0), overflow: false, complete: false, error: err.message || String(err) }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let overflow = false;
      let complete = false;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= opts.maxBytes) chunks.push(c);
        else {
          overflow = true;
          res.destroy();
        }
      });
      const done = (): void => finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), overflow, complete, error: null });
      res.on('end', () => {
        // A cut answer can still end cleanly when its bytes were already buffered: it is not complete.
        complete = !overflow;
        done();
      });
      res.on('close', done);
      res.on('error', done);
    });
    req.end(opts.body);
  });
}
