import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * The client's address. Behind a trusted reverse proxy it is the last entry
 * of `X-Forwarded-For`: the one that proxy appended itself. Earlier entries
 * come from the client and can be forged, so they are never used. Without
 * `trustProxy` the header is ignored and the socket's address counts.
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
    const last = stripPort(hops[hops.length - 1]!.trim());
    if (last) return last;
  }
  return req.socket.remoteAddress;
}

/** `1.2.3.4:5678` and `[::1]:80` (some proxies add the port) → the bare address; anything else that is not an IP → undefined. */
function stripPort(hop: string): string | undefined {
  if (isIP(hop)) return hop;
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(hop) ?? /^([\d.]+):\d+$/.exec(hop);
  return m && isIP(m[1]!) ? m[1] : undefined;
}

/**
 * The bucket an address counts in: IPv4 as is (also when written as
 * `::ffff:a.b.c.d`), IPv6 by its /64 prefix, since one host usually holds a
 * whole /64 and could otherwise take a fresh address for every request.
 */
export function addressBucket(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIP(address) !== 6) return address;
  const [head, tail] = address.toLowerCase().split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
