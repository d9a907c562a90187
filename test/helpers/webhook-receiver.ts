import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got. */
export interface Received {
  deliveryId: string;
  event: string;
  timestamp: string;
  signature: string | undefined;
  headers: IncomingHttpHeaders;
  /** the raw body, as signed */
  body: string;
  json: any;
  /** what the receiver answered */
  status: number;
}

/**
 * The verification recipe of docs/webhooks.md, as a receiver would write it:
 * HMAC-SHA256 of `{timestamp}.{raw body}` with the secret, compared in
 * constant time, and a timestamp no older than five minutes.
 */
export function verifySignature(secret: string, headers: IncomingHttpHeaders, rawBody: string, nowSeconds = Date.now() / 1000): boolean {
  const timestamp = String(headers['x-orchard-timestamp'] ?? '');
  const signature = String(headers['x-orchard-signature-256'] ?? '');
  const expected = 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  const a = Buffer.from(expected);
  const b = Buffer.from(signature);
  if (a.length !== b.length || !timingSafeEqual(a, b)) return false;
  return Math.abs(nowSeconds - Number(timestamp)) <= 300;
}

/**
 * A webhook receiver on loopback (real node:http). `respond` decides each
 * answer's status from the request and its index; it may wait (to hold a
 * delivery in flight while a test changes something).
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  respond: (r: Received, index: number) => number | Promise<number> = () => 200;
  private waiters: (() => void)[] = [];

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(port = 0): Promise<WebhookReceiver> {
    let self: WebhookReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        const r: Received = {
          deliveryId: String(req.headers['x-orchard-delivery'] ?? ''),
          event: String(req.headers['x-orchard-event'] ?? ''),
          timestamp: String(req.headers['x-orchard-timestamp'] ?? ''),
          signature: req.headers['x-orchard-signature-256'] as string | undefined,
          headers: req.headers,
          body,
          json,
          status: 0,
        };
        const index = self!.received.length;
        self!.received.push(r);
        // Waiters hear of the request at once (a test may be holding its answer) and again once answered.
        for (const w of self!.waiters.splice(0)) w();
        r.status = await self!.respond(r, index);
        res.writeHead(r.status, { 'Content-Type': 'text/plain' });
        res.end(r.status < 300 ? 'thanks' : 'not now');
        for (const w of self!.waiters.splice(0)) w();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    self = new WebhookReceiver(server, (server.address() as AddressInfo).port);
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Resolves once `pred` holds for what was received (checked after every answer). */
  async waitFor(pred: (received: Received[]) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.received)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; received ${this.received.length}: ${this.received.map((r) => `${r.event}/${r.status}`).join(', ')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Successful deliveries, in the order they arrived. */
  delivered(): Received[] {
    return this.received.filter((r) => r.status >= 200 && r.status < 300);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls a condition that lives in the hub (its delivery log) until it holds: waiting for state, never a fixed sleep. */
export async function waitUntil<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
