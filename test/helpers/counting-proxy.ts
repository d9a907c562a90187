import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';

/**
 * A loopback HTTP proxy that records what passes through it, in front of a
 * real hub, for the replication tests: every answer comes from the hub
 * behind it. The Host header is kept as the client sent it, so the hub names
 * the proxy in the URLs it hands out (LFS transfer hrefs): those transfers
 * come back through here and are counted too. `down` makes it refuse
 * connections, as an unreachable hub would.
 */
export class CountingProxy {
  readonly log: { method: string; path: string }[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  url = '';

  constructor(private readonly target: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.log.push({ method: req.method ?? 'GET', path: req.url ?? '/' });
      const t = new URL(this.target);
      const up = request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  /** LFS object transfers (GET of `…/info/lfs/objects/<oid>`) since `from`. */
  lfsDownloads(from = 0): string[] {
    return this.log.slice(from).filter((r) => r.method === 'GET' && /\/info\/lfs\/objects\/[0-9a-f]{64}/.test(r.path)).map((r) => /([0-9a-f]{64})/.exec(r.path)![1]!);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}
