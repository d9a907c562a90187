/**
 * The pinned POST shared by webhook deliveries and live arena calls
 * (src/services/pinned-request.ts), against a real server on loopback: it
 * connects to the address that was checked, never to what the host name
 * resolves to now, and keeps the URL's host in the Host header.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { pinnedPost } from '../../src/services/pinned-request.js';

describe('pinnedPost', () => {
  const seen: { host: string | undefined; body: string }[] = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    seen.push({ host: req.headers.host, body });
    if (req.url === '/big') res.end('y'.repeat(5000));
    else res.writeHead(201).end('ok');
  });
  let port = 0;
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('connects to the checked address, not to what the name resolves to', async () => {
    // `.invalid` never resolves (RFC 6761): the request can only arrive through the pinned address.
    const url = new URL(`http://rebound.invalid:${port}/hook`);
    const r = await pinnedPost({ url, address: '127.0.0.1', family: 4 }, { headers: { 'content-type': 'text/plain' }, body: 'hello', timeoutMs: 5000, maxBytes: 100 });
    assert.deepEqual([r.status, r.body.toString(), r.complete, r.overflow, r.error], [201, 'ok', true, false, null]);
    assert.deepEqual(seen.at(-1), { host: `rebound.invalid:${port}`, body: 'hello' });
  });

  test('an answer over the cap is cut and says so; a refused connection is an error, not a throw', async () => {
    const big = await pinnedPost({ url: new URL(`http://rebound.invalid:${port}/big`), address: '127.0.0.1', family: 4 }, { headers: {}, body: '', timeoutMs: 5000, maxBytes: 1000 });
    assert.equal(big.overflow, true);
    assert.equal(big.complete, false);
    assert.ok(big.body.length <= 1000);
    // Port 9 (discard) on loopback: nothing listens in the test environment.
    const refused = await pinnedPost({ url: new URL('http://rebound.invalid:9/'), address: '127.0.0.1', family: 4 }, { headers: {}, body: '', timeoutMs: 5000, maxBytes: 10 });
    assert.equal(refused.status, null);
    assert.match(refused.error!, /ECONNREFUSED/);
  });
});
