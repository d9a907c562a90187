/**
 * The pieces of webhooks that need no hub: the SSRF address rules (IPv4,
 * IPv6, and IPv4 carried inside IPv6), URL syntax, the signature and the
 * back-off schedule.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { backoffDelay, signPayload } from '../src/services/webhook-delivery.js';
import { blockedReason, checkTarget, parseIpv6, parseTargetUrl, vetTargetOnSave } from '../src/services/webhook-targets.js';

describe('webhook targets', () => {
  test('private, loopback, link-local, unique-local, multicast and unspecified addresses are refused', () => {
    const blocked = [
      '127.0.0.1', '127.255.255.254', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.0.1', '169.254.169.254', '0.0.0.0', '100.64.0.1',
      '224.0.0.251', '239.255.255.250', '255.255.255.255', '198.18.0.1', '192.0.2.1',
      '::', '::1', 'fe80::1', 'fe80::1%eth0', 'fc00::1', 'fd12:3456::1', 'ff02::1', 'fec0::1', '2001:db8::1',
      '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '::127.0.0.1', '64:ff9b::10.0.0.1', '2002:c0a8:0101::1', '100::1',
    ];
    for (const a of blocked) assert.ok(blockedReason(a), `${a} is refused`);
    const allowed = ['93.184.215.14', '8.8.8.8', '172.32.0.1', '192.169.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:0808:0808::1'];
    for (const a of allowed) assert.equal(blockedReason(a), undefined, `${a} is public`);
    assert.ok(blockedReason('not-an-ip'));
  });

  test('IPv6 parsing: compressed forms, embedded IPv4, and junk', () => {
    assert.deepEqual(parseIpv6('::1'), [...new Array(15).fill(0), 1]);
    assert.deepEqual(parseIpv6('::ffff:1.2.3.4')!.slice(10), [0xff, 0xff, 1, 2, 3, 4]);
    assert.deepEqual(parseIpv6('1:2:3:4:5:6:7:8'), [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', '::ffff:1.2.3.256', 'g::1']) assert.equal(parseIpv6(bad), undefined, bad);
  });

  test('URL syntax and the private-target switch', async () => {
    assert.throws(() => parseTargetUrl('gopher://x'), /http:\/\/ or https:\/\//);
    assert.throws(() => parseTargetUrl(''), /"url" is required/);
    assert.throws(() => parseTargetUrl(`https://e.org/${'a'.repeat(3000)}`), /longer than/);
    assert.equal(parseTargetUrl('https://example.org/h#frag').toString(), 'https://example.org/h');
    await assert.rejects(checkTarget(new URL('http://127.0.0.1/'), false), /Target refused/);
    assert.equal((await checkTarget(new URL('http://127.0.0.1/'), true)).address, '127.0.0.1');
    assert.equal((await checkTarget(new URL('http://[::1]:8080/'), true)).family, 6);
    await assert.rejects(checkTarget(new URL('http://no-such-host.invalid/'), true), /does not resolve/);
    // Saving accepts a name that does not resolve yet (deliveries check again), never a private address.
    await vetTargetOnSave(new URL('http://no-such-host.invalid/'), false);
    await assert.rejects(vetTargetOnSave(new URL('http://127.0.0.1:9/'), false), /refused/);
    await assert.rejects(vetTargetOnSave(new URL('http://localhost/'), false), /refused/);
  });

  test('the signature is HMAC-SHA256 of "{timestamp}.{body}"', () => {
    const body = '{"a":1}';
    const expected = createHmac('sha256', 'k').update(`1700000000.${body}`).digest('hex');
    assert.equal(signPayload('k', '1700000000', body), `sha256=${expected}`);
  });

  test('back-off doubles with equal jitter, so each wait is at least the one before', () => {
    for (let n = 1; n <= 10; n++) {
      assert.equal(backoffDelay(100, n, () => 0), 50 * 2 ** (n - 1));
      assert.equal(backoffDelay(100, n, () => 1), 100 * 2 ** (n - 1));
      assert.ok(backoffDelay(100, n + 1, () => 0) >= backoffDelay(100, n, () => 1));
    }
    assert.equal(backoffDelay(1000, 40, () => 1), 3_600_000, 'capped at an hour');
  });
});
