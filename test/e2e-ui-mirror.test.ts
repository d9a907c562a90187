/**
 * End to end in a real headless Chromium: a mirror's search page lists cached
 * upstream repos marked as mirrored, and a mirrored repo's page shows its
 * sanitised card and files, with links that download through the mirror.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openPage, screenshot } from './helpers/browser.js';
import { api, commitVia, createRepoVia, fileOp, startTestHub, type TestHub } from './helpers/hub.js';

describe('web UI: a mirror, in a real browser', () => {
  let a: TestHub;
  let b: TestHub;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  before(async () => {
    a = await startTestHub();
    assert.equal((await createRepoVia(a, a.tokens.alice, 'upstream-model')).status, 200);
    const readme = '---\nlicense: mit\n---\n# Upstream model\n\nSome **bold** text.\n\n<script>alert("x")</script><img src=x onerror="alert(1)">\n';
    assert.equal((await commitVia(a, a.tokens.alice, 'alice/upstream-model', [fileOp('README.md', readme), fileOp('config.json', '{"a":1}')])).status, 200);
    b = await startTestHub({ env: { ORCHARD_UPSTREAM_URL: a.url } });
    // Someone fetched it through the mirror: now it is cached.
    assert.equal((await api(`${b.url}/api/models/alice/upstream-model`)).status, 200);
    browser = await launchBrowser();
    ({ page, problems } = await openPage(browser));
  });

  after(async () => {
    await browser?.close();
    await b?.close();
    await a?.close();
  });

  test('search lists the cached repo as mirrored; its page shows the card and files', async () => {
    await page.goto(`${b.url}/models?search=upstream`);
    await page.locator('#mirrored').waitFor();
    const item = page.locator('#mirrored + ul li').first();
    assert.match((await item.textContent()) ?? '', /mirrored\s+alice\/upstream-model/);
    await item.locator('a').click();
    await page.locator('#mirrored-badge').waitFor();
    assert.equal(new URL(page.url()).pathname, '/alice/upstream-model');
    assert.equal(await page.locator('article.card h1').textContent(), 'Upstream model');
    assert.equal(await page.locator('article.card strong').textContent(), 'bold');
    assert.equal(await page.locator('article.card script').count(), 0);
    assert.equal(await page.locator('article.card [onerror]').count(), 0);
    const files = await page.locator('#mirrored-files li a').allTextContents();
    assert.deepEqual(files.sort(), ['.gitattributes', 'README.md', 'config.json']);
    const href = await page.locator('#mirrored-files li a', { hasText: 'config.json' }).getAttribute('href');
    const r = await page.request.get(new URL(href!, b.url).toString());
    assert.equal(await r.text(), '{"a":1}');
    await screenshot(page, 'mirror-repo');
    assert.deepEqual(problems, []);
  });
});
