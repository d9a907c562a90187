import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { HubError } from '../core/errors.js';

/**
 * The SSRF guard for webhook targets. A webhook makes the hub send requests
 * wherever its owner says, so by default a target must be http(s) and every
 * address its host resolves to must be a public unicast address: not
 * loopback, private, link-local, unique-local, multicast, unspecified or
 * otherwise reserved, in IPv4 or IPv6 (IPv4-mapped, NAT64 and 6to4 forms are
 * judged by the IPv4 address they carry). The check runs when a webhook is
 * saved and again before every attempt, and the request then connects to the
 * very address that was checked, so a DNS answer that changes in between
 * (rebinding) cannot redirect it. An admin may allow private targets.
 */

export interface CheckedTarget {
  url: URL;
  /** the address to connect to */
  address: string;
  family: 4 | 6;
}

const MAX_URL_LENGTH = 2048;

/** [first address as 32-bit number, prefix length] */
const V4_BLOCKED: [string, number][] = [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local (cloud metadata lives here)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 broadcast
];

function v4ToNumber(a: string): number {
  return a.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

const V4_RANGES = V4_BLOCKED.map(([a, bits]) => ({ start: v4ToNumber(a), size: 2 ** (32 - bits), label: `${a}/${bits}` }));

function v4Blocked(n: number): boolean {
  return V4_RANGES.some((r) => n >= r.start && n < r.start + r.size);
}

/** The 16 bytes of an IPv6 address (with or without a trailing dotted quad; zone ids dropped). */
export function parseIpv6(address: string): number[] | undefined {
  let a = address.replace(/^\[|\]$/g, '');
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  let tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (dotted) {
    if (isIP(dotted[2]!) !== 4) return undefined;
    const n = v4ToNumber(dotted[2]!);
    tail = [(n >>> 16) & 0xffff, n & 0xffff];
    a = dotted[1]!.endsWith('::') ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const halves = a.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] | undefined => {
    if (s === '') return [];
    const groups = s.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN));
    return groups.some(Number.isNaN) ? undefined : groups;
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1 ? known !== 8 : known > 7) return undefined;
  const groups = [...head, ...new Array<number>(8 - known).fill(0), ...rest, ...tail];
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** Why an address is not a public unicast address, or undefined when it is. */
export function blockedReason(address: string): string | undefined {
  const kind = isIP(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  if (kind === 4) return v4Blocked(v4ToNumber(address)) ? 'a private, loopback, link-local or reserved IPv4 address' : undefined;
  if (kind !== 6) return 'not an IP address';
  const b = parseIpv6(address);
  if (!b) return 'not an IP address';
  const v4At = (i: number): number => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;
  const zeros = (from: number, to: number): boolean => b.slice(from, to).every((x) => x === 0);
  // ::ffff:a.b.c.d (mapped) and 64:ff9b::a.b.c.d (NAT64) reach the IPv4 address they carry.
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4Blocked(v4At(12)) ? 'an IPv4-mapped private or reserved address' : undefined;
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return v4Blocked(v4At(12)) ? 'a NAT64 private or reserved address' : undefined;
  if (b[0] === 0x20 && b[1] === 0x02) return v4Blocked(v4At(2)) ? 'a 6to4 private or reserved address' : undefined;
  if (zeros(0, 12)) return 'an unspecified, loopback or IPv4-compatible IPv6 address'; // ::, ::1, ::a.b.c.d
  if (b[0] === 0xff) return 'a multicast IPv6 address';
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 'a link-local IPv6 address';
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) return 'a site-local IPv6 address';
  if ((b[0]! & 0xfe) === 0xfc) return 'a unique-local IPv6 address';
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return 'a documentation IPv6 address';
  if (b[0] === 0x01 && zeros(1, 8)) return 'a discard-only IPv6 address';
  return undefined;
}

/** The URL's syntax: absolute http(s), no more than 2048 characters. */
export function parseTargetUrl(raw: unknown): URL {
  if (typeof raw !== 'string' || raw.trim() === '') throw new HubError('BadRequest', '"url" is required: the http(s) URL to send events to');
  if (raw.length > MAX_URL_LENGTH) throw new HubError('BadRequest', `"url" is longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new HubError('BadRequest', `"url" is not a valid URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HubError('BadRequest', `"url" must be an http:// or https:// URL, got ${url.protocol}`);
  if (!url.hostname) throw new HubError('BadRequest', '"url" has no host');
  url.hash = '';
  return url;
}

export const PRIVATE_TARGET_HINT = 'an admin can allow private targets with ORCHARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS=1 (or `orchard serve --webhooks-allow-private-targets`)';

/**
 * The check when a webhook is saved: as `checkTarget`, except that a host name
 * that does not resolve *yet* is accepted (an internal name, a DNS outage, a
 * hub without DNS): every delivery checks again and refuses it then.
 */
export async function vetTargetOnSave(url: URL, allowPrivate: boolean): Promise<void> {
  try {
    await checkTarget(url, allowPrivate);
  } catch (err) {
    if (err instanceof UnresolvedHost) return;
    throw err;
  }
}

class UnresolvedHost extends HubError {}

/**
 * Resolves the URL's host and checks every address it has. Throws
 * BadRequest when the host does not resolve or any address is refused.
 * Returns the address to connect to.
 */
export async function checkTarget(url: URL, allowPrivate: boolean): Promise<CheckedTarget> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: { address: string; family: number }[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await lookup(host, { all: true, verbatim: true });
    } catch (err) {
      throw new UnresolvedHost('BadRequest', `The host ${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'DNS error'})`);
    }
    if (addresses.length === 0) throw new UnresolvedHost('BadRequest', `The host ${host} does not resolve`);
  }
  if (!allowPrivate) {
    for (const a of addresses) {
      const why = blockedReason(a.address);
      if (why) {
        const resolved = a.address === host ? '' : ` resolves to ${a.address}, which is`;
        throw new HubError('BadRequest', `Target refused: ${host}${resolved || ' is'} ${why}; ${PRIVATE_TARGET_HINT}`);
      }
    }
  }
  const first = addresses[0]!;
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}
