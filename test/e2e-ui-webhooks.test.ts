/**
 * End to end in a real headless Chromium: the webhook settings pages. alice
 * signs in, gets a clear error for a badly written watch list, creates a
 * webhook to a receiver on loopback, pushes through the API, sees the
 * delivery with its status code in the log, redelivers it (the receiver gets
 * the same body again), disables and enables the webhook, and deletes it.
 * Every write goes through the page's script and the JSON API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { setPassword } from '../src/auth/accounts.js';
import { findUserByName } from '../src/auth/users.js';
import { launchBrowser, openPage, screenshot } from './helpers/browser.js';
import { api, commitVia, createRepoVia, fileOp, json, startTestHub, type TestHub, testDialects } from './helpers/hub.js';
import { verifySignature, waitUntil, WebhookReceiver } from './helpers/webhook-receiver.js';

const PASSWORD = 'correct horse battery staple';

// Both databases: the delivery jobs run in process on SQLite and through graphile-worker on PostgreSQL.
for (const dialect of testDialects()) {
  describe(`web UI: webhook settings, in a real browser (${dialect})`, () => {
    let hub: TestHub;
    let browser: Browser;
    let page: Page;
    let problems: string[];
    let receiver: WebhookReceiver;
    let hookId = '';
    const url = (p: string): string => `${hub.url}${p}`;
    const log = async (): Promise<any[]> => json(await api(url(`/api/settings/webhooks/${hookId}/deliveries`), hub.tokens.alice));

    before(async () => {
      receiver = await WebhookReceiver.start();
      hub = await startTestHub({ dialect, env: { ORCHARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS: '1', ORCHARD_WEBHOOK_RETRY_BASE_MS: '20' } });
      const db = hub.running.hub.db;
      await setPassword(db, (await findUserByName(db, 'alice'))!.id, PASSWORD);
      assert.equal((await createRepoVia(hub, hub.tokens.alice, 'web-hooked')).status, 200);
      browser = await launchBrowser();
      ({ page, problems } = await openPage(browser));
    });

    after(async () => {
      await browser?.close();
      await hub?.close();
      await receiver?.close();
    });

    test('the page needs an account, and is linked from the settings navigation', async () => {
      await page.goto(url('/settings/webhooks'));
      assert.equal(new URL(page.url()).pathname, '/login');
      await page.fill('#login-username', 'alice');
      await page.fill('#login-password', PASSWORD);
      await page.click('#login-form button[type=submit]');
      await page.waitForURL(url('/settings/webhooks'));
      assert.equal(await page.locator('.settings-nav a[aria-current=page]').innerText(), 'Webhooks');
      await page.goto(url('/settings/tokens'));
      await page.click('.settings-nav a:has-text("Webhooks")');
      await page.waitForURL(url('/settings/webhooks'));
      assert.equal(await page.locator('.empty', { hasText: 'no webhooks yet' }).count(), 1);
    });

    test('a badly written watch list is explained; a good one creates the webhook', async () => {
      // The URL field has autofocus once the script has enabled the form.
      await page.waitForFunction(() => document.activeElement?.id === 'webhook-url');
      await page.fill('#webhook-url', receiver.url);
      await page.fill('#webhook-watched', 'alice/web-hooked\nrepo of alice');
      await page.fill('#webhook-secret', 'ui-secret');
      await page.click('#webhook-form button[type=submit]');
      const error = page.locator('#webhook-form [data-status].error');
      await error.waitFor();
      assert.match(await error.innerText(), /line 2/);
      // The hub's own refusal shows too.
      await page.fill('#webhook-watched', 'model alice/not-there');
      await page.click('#webhook-form button[type=submit]');
      await page.locator('#webhook-form [data-status].error', { hasText: 'not found' }).waitFor();

      await page.fill('#webhook-watched', 'model alice/web-hooked');
      await page.uncheck('#webhook-form input[name=domains][value=discussion]');
      await page.click('#webhook-form button[type=submit]');
      await page.waitForURL(/\/settings\/webhooks\/[0-9a-f]{24}$/);
      hookId = new URL(page.url()).pathname.split('/').pop()!;
      const webhook = (await json(await api(url(`/api/settings/webhooks/${hookId}`), hub.tokens.alice))).webhook;
      assert.equal(webhook.url, receiver.url);
      assert.deepEqual(webhook.watched, [{ type: 'model', name: 'alice/web-hooked' }]);
      assert.deepEqual(webhook.domains, ['repo']);
      assert.equal(webhook.secret, 'ui-secret');
      assert.equal(await page.locator('#no-deliveries').count(), 1);
    });

    test('a push shows up in the delivery log with its status code, and can be redelivered', async () => {
      let failures = 0;
      receiver.respond = () => (failures++ < 1 ? 500 : 200);
      assert.equal((await commitVia(hub, hub.tokens.alice, 'alice/web-hooked', [fileOp('a.txt', 'hello')])).status, 200);
      const [first] = await waitUntil(async () => {
        const list = await log();
        return list.length === 1 && list[0].status === 'succeeded' && list;
      }, 'the delivery succeeded');
      await page.reload();
      const row = page.locator(`#delivery-table tr[data-delivery-id="${first.id}"]`);
      await row.waitFor();
      assert.equal(await row.getAttribute('data-status'), 'succeeded');
      assert.equal((await row.locator('[data-response]').innerText()).trim(), '200');
      assert.match(await row.innerText(), /repo\.content\.update/);
      assert.match(await row.innerText(), /alice\/web-hooked/);
      await screenshot(page, 'webhooks-deliveries');

      await row.locator('button[data-redeliver]').click();
      await page.locator('#deliveries-status.ok').waitFor();
      const fresh = page.locator('#delivery-table tbody tr').first();
      const copyId = await fresh.getAttribute('data-delivery-id');
      assert.ok(copyId && copyId !== first.id);
      await receiver.waitFor((rs) => rs.some((r) => r.deliveryId === copyId && r.status === 200), 'the redelivery');
      const original = receiver.received.find((r) => r.deliveryId === first.id && r.status === 200)!;
      const again = receiver.received.find((r) => r.deliveryId === copyId)!;
      assert.equal(again.body, original.body);
      assert.ok(verifySignature('ui-secret', again.headers, again.body));
      await waitUntil(async () => (await log()).every((d) => d.status === 'succeeded'), 'the redelivery logged');
      await page.reload();
      assert.equal(await page.locator('#delivery-table tbody tr[data-status=succeeded]').count(), 2);
      assert.match(await page.locator(`#delivery-table tr[data-delivery-id="${copyId}"]`).innerText(), /redelivery/);
    });

    test('edit, disable and enable, then delete from the list', async () => {
      await page.fill('#webhook-edit-url', `${receiver.url}?edited=1`);
      await page.click('#webhook-edit-form button[type=submit]');
      await page.locator('#webhook-edit-form [data-status].ok').waitFor();
      assert.equal((await json(await api(url(`/api/settings/webhooks/${hookId}`), hub.tokens.alice))).webhook.url, `${receiver.url}?edited=1`);

      await page.click('#webhook-edit-form [data-toggle]');
      await page.locator('#webhook[data-disabled="1"]').waitFor();
      assert.equal((await json(await api(url(`/api/settings/webhooks/${hookId}`), hub.tokens.alice))).webhook.disabled, true);

      await page.goto(url('/settings/webhooks'));
      const row = page.locator(`#webhook-table tr[data-webhook-id="${hookId}"]`);
      assert.equal((await row.locator('[data-state]').innerText()).trim(), 'disabled');
      await row.locator('[data-toggle]').click();
      await page.locator(`#webhook-table tr[data-webhook-id="${hookId}"][data-disabled="0"]`).waitFor();
      assert.equal((await json(await api(url(`/api/settings/webhooks/${hookId}`), hub.tokens.alice))).webhook.disabled, false);
      await screenshot(page, 'webhooks-list');

      // bob cannot open alice's webhook page.
      const bobs = await fetch(url(`/settings/webhooks/${hookId}`), { headers: { authorization: `Bearer ${hub.tokens.bob}` } });
      assert.equal(bobs.status, 404);

      await row.locator('[data-delete]').click();
      await row.locator('[data-delete]', { hasText: 'Confirm delete' }).waitFor();
      await row.locator('[data-delete]').click();
      await row.waitFor({ state: 'detached' });
      assert.equal((await api(url(`/api/settings/webhooks/${hookId}`), hub.tokens.alice)).status, 404);
      assert.deepEqual(problems, []);
    });
  });
}
