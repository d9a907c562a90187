import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  path: string;
  range: string | undefined;
}

/**
 * A loopback HTTP proxy in front of a real upstream hub, for the mirror tests.
 * It counts what the mirror asks of upstream, and injects the faults a real
 * upstream or network can have: a flipped byte, extra bytes, a connection cut
 * after some bytes, a slow link. It is a fault injector, not a fake hub:
 * every answer comes from the real hub behind it.
 */
export class UpstreamProxy {
  readonly log: ProxiedRequest[] = [];
  /** Body bytes sent to the mirror, per request path. */
  readonly bytes = new Map<string, number>();
  corrupt: RegExp | undefined;
  extraBytes: RegExp | undefined;
  cutAfter: { path: RegExp; bytes: number } | undefined;
  /** Bytes per second for bodies, or 0 for full speed. */
  throttle = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<import('node:net').Socket>();
  url = '';

  constructor(public target: string) {}

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      const path = req.url ?? '/';
      this.log.push({ method: req.method ?? 'GET', path, range: req.headers.range as string | undefined });
      const target = new URL(this.target);
      const up = request(
        { host: target.hostname, port: target.port, method: req.method, path, headers: { ...req.headers, host: target.host } },
        (upRes) => this.relay(path, upRes, res),
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  private relay(path: string, upRes: IncomingMessage, res: import('node:http').ServerResponse): void {
    const headers = { ...upRes.headers };
    const extra = this.extraBytes?.test(path) && upRes.statusCode === 200;
    if (extra) delete headers['content-length'];
    res.writeHead(upRes.statusCode ?? 502, headers);
    let sent = 0;
    let flipped = false;
    const cut = this.cutAfter && this.cutAfter.path.test(path) ? this.cutAfter.bytes : Infinity;
    upRes.on('data', (chunk: Buffer) => {
      let out = chunk;
      if (!flipped && this.corrupt?.test(path) && chunk.length > 0) {
        out = Buffer.from(chunk);
        out[0] = out[0]! ^ 0xff;
        flipped = true;
      }
      if (sent + out.length > cut) {
        res.write(out.subarray(0, cut - sent));
        res.destroy();
        upRes.destroy();
        return;
      }
      sent += out.length;
      this.bytes.set(path, (this.bytes.get(path) ?? 0) + out.length);
      const more = res.write(out);
      if (this.throttle > 0) {
        upRes.pause();
        setTimeout(() => upRes.resume(), (out.length / this.throttle) * 1000);
      } else if (!more) {
        upRes.pause();
        res.once('drain', () => upRes.resume());
      }
    });
    upRes.on('end', () => {
      if (extra) res.write(Buffer.from('surplus bytes'));
      res.end();
    });
    upRes.on('error', () => res.destroy());
    upRes.on('aborted', () => res.destroy());
  }

  /** Requests whose path matches, optionally of one method. */
  count(path: RegExp, method?: string): number {
    return this.log.filter((r) => path.test(r.path) && (!method || r.method === method)).length;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
