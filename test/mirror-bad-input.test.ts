/** Bad input at the mirror's own page and API: the right status in the hub's error format, nothing else. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, expectError, startTestHub, type TestHub } from './helpers/hub.js';

describe('the /mirror page and GET /api/mirror refuse what they do not serve', () => {
  let plain: TestHub;
  let mirror: TestHub;

  before(async () => {
    plain = await startTestHub();
    mirror = await startTestHub({ env: { ORCHARD_UPSTREAM_URL: plain.url, ORCHARD_UPSTREAM_TIMEOUT_MS: '3000' } });
  });
  after(async () => {
    await mirror?.close();
    await plain?.close();
  });

  test('a hub that mirrors nothing answers 404 on both', async () => {
    const page = await api(`${plain.url}/mirror`, plain.tokens.alice);
    assert.equal(page.status, 404);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /This hub mirrors no upstream hub/);
    await expectError(await api(`${plain.url}/api/mirror`, plain.tokens.alice), 404);
  });

  test('anonymous callers are asked to sign in: an HTML page for the page, JSON for the API', async () => {
    const page = await api(`${mirror.url}/mirror`);
    assert.equal(page.status, 401);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /Sign in to see the mirror/);
    await expectError(await api(`${mirror.url}/api/mirror`), 401);
    // A token that is not one is refused, not treated as anonymous.
    await expectError(await api(`${mirror.url}/api/mirror`, 'hf_not_a_real_token'), 401);
  });

  test('other methods, and paths under /mirror, are refused', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const r = await api(`${mirror.url}/mirror`, mirror.tokens.alice, { method });
      assert.equal(r.status, 405, method);
      await r.arrayBuffer();
      const a = await api(`${mirror.url}/api/mirror`, mirror.tokens.alice, { method });
      assert.ok(a.status === 405 || a.status === 404, `${method} /api/mirror: ${a.status}`);
      await a.arrayBuffer();
    }
    const deeper = await api(`${mirror.url}/mirror/../../etc/passwd`, mirror.tokens.alice);
    assert.ok(deeper.status === 404 || deeper.status === 400, `got ${deeper.status}`);
    await deeper.arrayBuffer();
  });

  test('a signed-in user sees the page; query strings change nothing', async () => {
    const r = await api(`${mirror.url}/mirror?limit=-1&sort=%00&page=x`, mirror.tokens.bob);
    assert.equal(r.status, 200);
    assert.match(await r.text(), /Mirror/);
  });
});
