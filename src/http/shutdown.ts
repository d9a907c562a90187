import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { log } from '../core/log.js';
import type { Operations } from './ops.js';

export interface DrainOptions {
  /** How long requests in flight may take to finish once the hub stops accepting connections. */
  graceMs: number;
  /**
   * How long to keep accepting connections after `/readyz` turns 503, so
   * that a load balancer that probes it stops sending traffic first.
   */
  delayMs?: number;
}

/**
 * Stops an HTTP server gracefully (docs/operations.md): readiness fails at
 * once; after `delayMs` the listening socket closes, so new connections are
 * refused; idle keep-alive connections are closed, and every other one as
 * soon as its request ends; requests still running after `graceMs` are cut.
 * Resolves with the number of requests that were cut.
 */
export async function drainServer(server: Server, ops: Operations, opts: DrainOptions): Promise<number> {
  ops.beginShutdown();
  log.info('shutting down: readiness now fails', { in_flight: ops.inFlight, delay_ms: opts.delayMs ?? 0, grace_ms: opts.graceMs });
  if (opts.delayMs) await sleep(opts.delayMs);
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // A connection between two requests would otherwise be kept open for its next one.
  server.closeIdleConnections();
  let idle!: () => void;
  const allDone = new Promise<void>((resolve) => (idle = resolve));
  const off = ops.onRequestDone(() => {
    // On the next turn: the connection counts as idle only once its answer is fully handed over.
    setImmediate(() => server.closeIdleConnections());
    if (ops.inFlight === 0) idle();
  });
  if (ops.inFlight === 0) idle();
  else log.info('shutting down: waiting for requests in flight', { in_flight: ops.inFlight });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, opts.graceMs)));
  await Promise.race([allDone, deadline]);
  clearTimeout(timer);
  const cut = ops.inFlight;
  if (cut > 0) {
    log.warn('shutting down: grace period over, cutting requests still in flight', { in_flight: cut, grace_ms: opts.graceMs });
    server.closeAllConnections();
    // A cut request still ends (its answer's close event): wait for that, so that it is logged and counted.
    await allDone;
  }
  off();
  await closed;
  return cut;
}
