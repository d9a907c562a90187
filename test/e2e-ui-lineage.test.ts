/**
 * End to end in a real headless Chromium: the "Model tree" tab and the model
 * tree box of the card page. A small family is built through the API; an
 * anonymous visitor and then alice (who owns a private finetune) read the
 * chain of ancestors, the children by relation, an external base's link, and
 * follow links between the pages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { setPassword } from '../src/auth/accounts.js';
import { findUserByName } from '../src/auth/users.js';
import { launchBrowser, openPage, screenshot } from './helpers/browser.js';
import { commitVia, createRepoVia, fileOp, startTestHub, type TestHub } from './helpers/hub.js';

const PASSWORD = 'a long password for alice';

describe('web UI: the model tree, in a real browser', () => {
  let hub: TestHub;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const url = (p: string): string => `${hub.url}${p}`;
  const model = async (token: string, ns: string, name: string, files: Record<string, string>, priv = false): Promise<void> => {
    assert.equal((await createRepoVia(hub, token, name, { organization: ns, private: priv })).status, 200);
    assert.equal((await commitVia(hub, token, `${ns}/${name}`, Object.entries(files).map(([p, c]) => fileOp(p, c)))).status, 200);
  };
  const readme = (base: string): string => `---\nbase_model: ${base}\n---\n# Derived from ${base}\n`;
  /** The text of each item of a list, whitespace collapsed. */
  const items = (selector: string): Promise<string[]> =>
    page.locator(selector).evaluateAll((els) => els.map((e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim()));

  before(async () => {
    hub = await startTestHub();
    const db = hub.running.hub.db;
    await setPassword(db, (await findUserByName(db, 'alice'))!.id, PASSWORD);
    const { alice, bob } = hub.tokens;
    await model(alice, 'alice', 'base', { 'README.md': '---\nlicense: mit\n---\n# The base\n' });
    await model(bob, 'bob', 'ft', { 'README.md': readme('alice/base') });
    await model(alice, 'alice', 'ft-of-ft', { 'README.md': readme('bob/ft') });
    await model(alice, 'alice', 'lora', { 'README.md': readme('alice/base'), 'adapter_config.json': '{}' });
    await model(bob, 'bob', 'q4', { 'README.md': readme('alice/base'), 'model.Q4_K_M.gguf': 'GGUF' });
    await model(alice, 'alice', 'secret', { 'README.md': readme('alice/base') }, true);
    await model(alice, 'alice', 'llama-ft', { 'README.md': readme('meta-llama/Llama-3.1-8B') });
    browser = await launchBrowser();
    ({ page, problems } = await openPage(browser));
  });

  after(async () => {
    await browser?.close();
    await hub?.close();
  });

  test('the model tree page: ancestors, the model, children by relation', async () => {
    await page.goto(url('/alice/ft-of-ft/model-tree'));
    assert.equal(await page.locator('nav.tabs a[aria-current=page]').textContent(), 'Model tree');
    assert.equal(await page.locator('h2').first().textContent(), 'Model tree for alice/ft-of-ft');
    // Oldest first, down to the model itself.
    assert.deepEqual(await items('ol.lineage-chain > li'), [
      'alice/base — bob/ft is a finetune of it',
      'bob/ft — alice/ft-of-ft is a finetune of it',
      'alice/ft-of-ft (this model)',
    ]);
    await screenshot(page, 'model-tree-grandchild');
    await page.getByRole('link', { name: 'alice/base', exact: true }).click();
    await page.waitForURL(url('/alice/base'));
    await page.getByRole('link', { name: 'Model tree', exact: true }).first().click();
    await page.waitForURL(url('/alice/base/model-tree'));
    assert.deepEqual(await items('.lineage-children h4'), ['Adapters (1)', 'Finetunes (1)', 'Merges (0)', 'Quantizations (1)']);
    assert.deepEqual(await items('section[aria-labelledby=children-finetune] li a'), ['bob/ft']);
    assert.deepEqual(await items('section[aria-labelledby=children-adapter] li a'), ['alice/lora']);
    assert.deepEqual(await items('section[aria-labelledby=children-quantized] li a'), ['bob/q4']);
    assert.equal(await page.locator('text=alice/secret').count(), 0);
    await screenshot(page, 'model-tree-root-anonymous');
  });

  test('an external base is marked and links to its hub', async () => {
    await page.goto(url('/alice/llama-ft/model-tree'));
    const link = page.locator('ol.lineage-chain a.external');
    assert.equal(await link.textContent(), 'meta-llama/Llama-3.1-8B');
    assert.equal(await link.getAttribute('href'), 'https://huggingface.co/meta-llama/Llama-3.1-8B');
    assert.match((await page.locator('ol.lineage-chain .pill').textContent()) ?? '', /external · huggingface\.co/);
  });

  test('the card box, anonymous and signed in', async () => {
    await page.goto(url('/alice/base'));
    const box = page.locator('.model-tree-box');
    assert.deepEqual(await box.locator('dt').allTextContents(), ['Adapters', 'Finetunes', 'Quantizations']);
    assert.deepEqual(await box.locator('dd').allTextContents(), ['1 model', '1 model', '1 model']);
    await page.goto(url('/bob/ft'));
    assert.deepEqual(await items('.model-tree-box dt'), ['Base model', 'Finetunes']);
    assert.deepEqual(await items('.model-tree-box dd'), ['alice/base (finetune)', '1 model']);

    // alice also sees her private finetune, in the box and on the page.
    await page.goto(url('/login'));
    await page.waitForFunction(() => document.activeElement?.id === 'login-username');
    await page.keyboard.type('alice');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL(url('/'));
    await page.goto(url('/alice/base'));
    assert.deepEqual(await items('.model-tree-box dd'), ['1 model', '2 models', '1 model']);
    await screenshot(page, 'model-tree-card-box');
    await page.locator('.model-tree-box').getByRole('link', { name: '2 models' }).click();
    await page.waitForURL(url('/alice/base/model-tree#children-finetune'));
    assert.deepEqual(await items('section[aria-labelledby=children-finetune] li a'), ['alice/secret', 'bob/ft']);
    assert.deepEqual(await items('section[aria-labelledby=children-finetune] li .pill'), ['private']);
    await screenshot(page, 'model-tree-root-alice');
    assert.deepEqual(problems, []);
  });
});
