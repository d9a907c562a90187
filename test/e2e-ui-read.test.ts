/**
 * End to end in a real headless Chromium: the reading side of the web UI.
 * A visitor finds a repo through the header search box, reads its card
 * (Markdown, highlighted code, math, metadata from the front matter),
 * browses the tree, views and downloads files, and meets the same 404 page
 * for a missing and a private repo. A hostile card and hostile served files
 * must stay inert, pages must paint without JavaScript, work at phone width,
 * keep the chosen theme and be reachable by keyboard.
 *
 * All data goes in through the hub's API, as a client would put it there.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openPage, SCREENSHOT_DIR, screenshot } from './helpers/browser.js';
import { commitVia, createRepoVia, fileOp, lfsOp, startTestHub, uploadLfs, type TestHub } from './helpers/hub.js';

const REPO = 'alice/orchard-demo';
const XSS_REPO = 'alice/xss-card';
const PRIVATE_REPO = 'alice/secret-model';

const CARD = `---
license: apache-2.0
pipeline_tag: text-generation
library_name: transformers
language:
- en
tags:
- demo-tag
---
# Orchard Demo

A small model for the browser tests.

| metric | value |
|--------|------:|
| accuracy | 0.91 |
| loss | 0.23 |

\`\`\`python
def greet(name):
    return f"hello {name}"
\`\`\`

Energy is $E=mc^2$, and in display:

$$
\\int_0^1 x^2 \\, dx = \\frac{1}{3}
$$
`;

const TRAIN_PY = `import os

def train(steps: int) -> None:
    for step in range(steps):
        print("step", step)
`;

/** Every trick in the brief: none of it may run, link out to script, or cover the page. */
const XSS_CARD = `---
license: mit
---
# Hostile card

<script>alert(1)</script>

[click me](javascript:alert(2))

<img src=x onerror=alert(3)>

<svg onload=alert(4)><circle r="5"/></svg>

<a href="JAVASCRIPT:alert(5)">upper-case scheme</a>

<iframe src=javascript:alert(6)></iframe>

<span style="position:fixed;top:0;left:0;width:100%;height:100%;background:red">overlay span</span>

<div style="position:fixed;inset:0">overlay div</div>

<span class="katex"><span class="vlist-t"><span class="vlist-r"><span class="vlist"><span style="top:-40em;margin-left:-5em">moved up <a href="https://example.org/phish">a link over the page</a></span></span></span></span></span>

<div class="notice skip">borrowed page classes</div>

[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCg4KTwvc2NyaXB0Pg==)

<a href="data:text/html,<script>alert(9)</script>">data anchor</a>

<a href="java&#x09;script:alert(10)">tab in the scheme</a>

<details open ontoggle=alert(11)><summary>details</summary>inside</details>

<form action="javascript:alert(12)"><button formaction="javascript:alert(13)">go</button></form>

<object data="javascript:alert(14)"></object><embed src="javascript:alert(15)">

$$
\\href{javascript:alert(7)}{x}
$$

Inline math link $\\href{javascript:alert(16)}{y}$ and $\\url{javascript:alert(17)}$.
`;

const EVIL_HTML = '<!doctype html><html><body><script>alert("html")</script><img src=x onerror=alert("img")></body></html>\n';
const EVIL_SVG = '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(\'svg-onload\')"><script>alert("svg")</script></svg>\n';

describe('web UI: reading (Chromium)', () => {
  let hub: TestHub;
  let browser: Browser;
  let lfsBytes: Buffer;

  async function ok(r: Response, what: string): Promise<void> {
    assert.ok(r.ok, `${what}: ${r.status} ${await r.clone().text()}`);
  }

  before(async () => {
    hub = await startTestHub();
    const alice = hub.tokens.alice;
    await ok(await createRepoVia(hub, alice, 'orchard-demo'), 'create demo');
    lfsBytes = randomBytes(3000);
    const lfs = await uploadLfs(hub, alice, REPO, lfsBytes);
    await ok(
      await commitVia(hub, alice, REPO, [
        fileOp('README.md', CARD),
        fileOp('config.json', '{"hidden_size": 64}\n'),
        fileOp('src/train.py', TRAIN_PY),
        lfsOp('model.safetensors', lfs),
      ]),
      'commit demo',
    );
    await ok(await createRepoVia(hub, alice, 'xss-card'), 'create xss');
    await ok(await commitVia(hub, alice, XSS_REPO, [fileOp('README.md', XSS_CARD), fileOp('evil.html', EVIL_HTML), fileOp('evil.svg', EVIL_SVG)]), 'commit xss');
    await ok(await createRepoVia(hub, alice, 'secret-model', { private: true }), 'create private');
    await ok(await commitVia(hub, alice, PRIVATE_REPO, [fileOp('README.md', '# Secret\n')]), 'commit private');
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await hub?.close();
  });

  /** A fresh page (own context) that records dialogs, page errors and console errors. */
  async function fresh(viewport?: { width: number; height: number }): Promise<{ page: Page; problems: string[] }> {
    return openPage(browser, viewport ? { viewport } : {});
  }

  async function done(page: Page, problems: string[]): Promise<void> {
    await page.context().close();
    assert.deepEqual(problems, [], 'no dialogs, page errors or console errors');
  }

  test('search from the header box and open the repo', async () => {
    const { page, problems } = await fresh();
    await page.goto(hub.url);
    await screenshot(page, 'home');
    await page.getByRole('searchbox', { name: 'Search' }).fill('orchard-demo');
    await Promise.all([page.waitForURL(/\/models\?search=orchard-demo/), page.keyboard.press('Enter')]);
    assert.match(await page.locator('main h1').innerText(), /Models matching .orchard-demo./);
    await screenshot(page, 'search');
    const results = page.locator('ul.cards a.name');
    assert.equal(await results.count(), 1, 'exactly the one matching repo');
    await Promise.all([page.waitForURL(`${hub.url}/${REPO}`), results.first().click()]);
    assert.match(await page.locator('.repo-head h1').innerText(), /alice\s*\/\s*orchard-demo/);
    await done(page, problems);
  });

  test('the card: heading, table, highlighted code, KaTeX math, metadata and never raw YAML', async () => {
    const { page, problems } = await fresh({ width: 1200, height: 800 });
    const res = await page.goto(`${hub.url}/${REPO}`);
    assert.equal(res?.status(), 200);
    const card = page.locator('article.card-body');
    assert.equal(await card.locator('h1').innerText(), 'Orchard Demo');
    assert.deepEqual(await card.locator('table th').allInnerTexts(), ['metric', 'value']);
    assert.equal(await card.locator('table tbody tr').count(), 2);
    assert.equal(await card.locator('pre code.language-python').count(), 1);
    assert.ok((await card.locator('pre code .hljs-keyword').count()) >= 2, 'python keywords are highlighted');
    assert.equal(await card.locator('.katex').count(), 2, 'inline and display math rendered by KaTeX');
    assert.equal(await card.locator('.math-block .katex-display').count(), 1);
    // KaTeX's stylesheet is loaded: its classes are styled, not browser defaults.
    assert.match(await card.locator('.katex').first().evaluate((el) => getComputedStyle(el).fontFamily), /KaTeX_Main/);

    const meta = page.locator('aside.meta');
    const metaText = await meta.innerText();
    assert.match(metaText, /License\s+(license:)?apache-2\.0/);
    assert.match(metaText, /Task\s+text-generation/);
    assert.match(metaText, /Library\s+transformers/);
    assert.match(metaText, /Languages\s+en/);
    const pageText = await page.locator('body').innerText();
    for (const raw of ['license: apache-2.0', 'pipeline_tag:', 'library_name:', '- demo-tag', '---']) {
      assert.ok(!pageText.includes(raw), `raw front matter ${JSON.stringify(raw)} must not be shown`);
    }
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'repo-readme.png') }); // the README's picture: one viewport
    await screenshot(page, 'repo-card');
    await done(page, problems);
  });

  test('browse the file tree: folders, sizes and the LFS marker', async () => {
    const { page, problems } = await fresh();
    await page.goto(`${hub.url}/${REPO}`);
    await Promise.all([page.waitForURL(/\/tree\/main$/), page.getByRole('link', { name: 'Files and versions' }).click()]);
    const row = (name: string) => page.locator('table.files tr', { has: page.getByRole('link', { name, exact: true }) });
    assert.match(await row('config.json').locator('td.size').first().innerText(), /^20 B$/);
    assert.match(await row('model.safetensors').locator('td.size').first().innerText(), /^3\.0 kB$/);
    assert.equal(await row('model.safetensors').locator('.lfs').innerText(), 'LFS');
    assert.equal(await row('config.json').locator('.lfs').count(), 0, 'no LFS marker on a regular file');
    await screenshot(page, 'files');
    await Promise.all([page.waitForURL(/\/tree\/main\/src$/), page.getByRole('link', { name: 'src', exact: true }).click()]);
    assert.equal(await page.locator('table.files a', { hasText: 'train.py' }).count(), 1);
    assert.match(await page.locator('nav.crumbs').innerText(), /orchard-demo\s*\/\s*src/);
    await done(page, problems);
  });

  test('the file viewer: highlighting, line anchors, and the download button gives the right bytes', async () => {
    const { page, problems } = await fresh();
    await page.goto(`${hub.url}/${REPO}/tree/main/src`);
    await Promise.all([page.waitForURL(/\/blob\/main\/src\/train\.py$/), page.getByRole('link', { name: 'train.py', exact: true }).click()]);
    assert.equal(await page.locator('table.code tr').count(), TRAIN_PY.trimEnd().split('\n').length);
    assert.ok((await page.locator('table.code .hljs-keyword').count()) >= 3, 'keywords highlighted');
    assert.equal(await page.locator('tr#L3 td.src').innerText(), TRAIN_PY.split('\n')[2]);

    await page.goto(`${hub.url}/${REPO}/blob/main/src/train.py#L3`);
    assert.equal(await page.evaluate(() => document.querySelector(':target')?.id), 'L3');
    assert.equal(await page.locator('tr#L3').evaluate((el) => el.matches(':target')), true);
    // Clicking a line number moves the target too.
    await page.locator('tr#L5 td.ln a').click();
    assert.equal(await page.evaluate(() => location.hash), '#L5');
    assert.equal(await page.evaluate(() => document.querySelector(':target')?.id), 'L5');
    await screenshot(page, 'file-viewer');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download', exact: true }).click()]);
    assert.equal(download.suggestedFilename(), 'train.py');
    assert.equal((await readFile(await download.path())).toString(), TRAIN_PY);

    // An LFS file: no inline view, the download serves the stored object.
    await page.goto(`${hub.url}/${REPO}/blob/main/model.safetensors`);
    assert.match(await page.locator('.blob').innerText(), /stored with Git LFS/);
    const [lfsDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download', exact: true }).click()]);
    assert.equal(lfsDownload.suggestedFilename(), 'model.safetensors');
    assert.ok((await readFile(await lfsDownload.path())).equals(lfsBytes), 'the LFS download has the uploaded bytes');
    await done(page, problems);
  });

  test('a missing repo and a private repo get the same 404 page, anonymously and as another user', async () => {
    const mainOf = async (page: Page, url: string): Promise<{ status: number | undefined; main: string; title: string }> => {
      const res = await page.goto(url);
      return { status: res?.status(), main: await page.locator('main').innerHTML(), title: await page.title() };
    };
    const anon = await fresh();
    const missing = await mainOf(anon.page, `${hub.url}/alice/does-not-exist`);
    const hidden = await mainOf(anon.page, `${hub.url}/${PRIVATE_REPO}`);
    assert.equal(missing.status, 404);
    assert.deepEqual(hidden, missing, 'anonymous: private looks exactly like missing');
    const hiddenTree = await mainOf(anon.page, `${hub.url}/${PRIVATE_REPO}/tree/main`);
    assert.deepEqual(hiddenTree, missing, 'anonymous: the private tree too');
    assert.ok(!(await anon.page.locator('body').innerText()).includes('Secret'));
    await screenshot(anon.page, '404');
    await done(anon.page, anon.problems);

    const bob = await fresh();
    await bob.page.context().setExtraHTTPHeaders({ authorization: `Bearer ${hub.tokens.bob}` });
    const bobMissing = await mainOf(bob.page, `${hub.url}/alice/does-not-exist`);
    const bobHidden = await mainOf(bob.page, `${hub.url}/${PRIVATE_REPO}`);
    assert.equal(bobMissing.status, 404);
    assert.deepEqual(bobHidden, bobMissing, 'another user: private looks exactly like missing');
    assert.match(await bob.page.locator('header.top').innerText(), /\bbob\b/, 'bob is signed in on that page');
    await done(bob.page, bob.problems);

    // The owner does see it (so the 404 above is about access, not a broken repo).
    const owner = await fresh();
    await owner.page.context().setExtraHTTPHeaders({ authorization: `Bearer ${hub.tokens.alice}` });
    const res = await owner.page.goto(`${hub.url}/${PRIVATE_REPO}`);
    assert.equal(res?.status(), 200);
    assert.equal(await owner.page.locator('article.card-body h1').innerText(), 'Secret');
    await done(owner.page, owner.problems);
  });

  test('light/dark theme toggle persists across a reload', async () => {
    const { page, problems } = await fresh();
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`${hub.url}/${REPO}`);
    const bg = (): Promise<string> => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const light = await bg();
    assert.equal(light, 'rgb(255, 255, 255)');
    await page.locator('[data-theme-toggle]').click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    const dark = await bg();
    assert.notEqual(dark, light);
    await page.reload();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark', 'the choice survives a reload');
    assert.equal(await bg(), dark);
    await page.locator('[data-theme-toggle]').click();
    await page.reload();
    assert.equal(await bg(), light, 'and toggles back');
    await done(page, problems);
  });

  test('usable at phone width: no horizontal overflow, in light and dark', async () => {
    const { page, problems } = await fresh({ width: 375, height: 740 });
    for (const p of ['/', '/models?search=orchard', `/${REPO}`, `/${REPO}/tree/main`, `/${REPO}/blob/main/src/train.py`, `/${REPO}/blob/main/config.json`, `/${XSS_REPO}`, '/alice/does-not-exist']) {
      await page.goto(`${hub.url}${p}`);
      const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
      assert.ok(scrollWidth <= innerWidth, `${p}: page is ${scrollWidth}px wide in a ${innerWidth}px viewport`);
    }
    await page.goto(`${hub.url}/${REPO}`);
    await page.locator('[data-theme-toggle]').click();
    await page.reload();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await screenshot(page, 'phone-dark');
    await done(page, problems);
  });

  test('keyboard: Tab reaches the skip link first, then the search box', async () => {
    const { page, problems } = await fresh();
    await page.goto(`${hub.url}/${REPO}`);
    await page.keyboard.press('Tab');
    const skip = await page.evaluate(() => {
      const el = document.activeElement as HTMLAnchorElement;
      const box = el.getBoundingClientRect();
      return { text: el.textContent, href: el.getAttribute('href'), visible: box.left >= 0 && box.top >= 0 && box.width > 0 };
    });
    assert.deepEqual(skip, { text: 'Skip to content', href: '#content', visible: true }, 'the skip link is first and shows when focused');
    let reached = false;
    for (let i = 0; i < 5 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.getAttribute('name') === 'search');
    }
    assert.ok(reached, 'the search box is within a few Tabs');
    await page.keyboard.type('orchard-demo');
    await Promise.all([page.waitForURL(/\/models\?search=orchard-demo/), page.keyboard.press('Enter')]);
    // Following the skip link lands in the main content.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => location.hash), '#content');
    await done(page, problems);
  });

  test('a hostile card renders inert: no dialog, no handlers, no script URLs, no overlay', async () => {
    const { page, problems } = await fresh();
    const res = await page.goto(`${hub.url}/${XSS_REPO}`);
    assert.equal(res?.status(), 200);
    assert.equal(await page.locator('article.card-body h1').innerText(), 'Hostile card');
    // Give any deferred handler (onload, onerror, ontoggle) a chance to fire.
    await page.waitForLoadState('load');
    await page.waitForTimeout(300);
    const findings = await page.evaluate(() => {
      const card = document.querySelector('article.card-body')!;
      const out: string[] = [];
      for (const el of [card, ...card.querySelectorAll('*')]) {
        for (const a of el.attributes) {
          if (/^on/i.test(a.name)) out.push(`${el.tagName} ${a.name}`);
          const value = a.value.replace(/[\u0000-\u0020]/g, '');
          if (/^(javascript|vbscript):/i.test(value) || (/^data:/i.test(value) && !(el.tagName === 'IMG' && a.name === 'src'))) {
            out.push(`${el.tagName} ${a.name}=${a.value}`);
          }
        }
        if (['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'SVG', 'FORM', 'BUTTON', 'STYLE', 'BASE', 'META'].includes(el.tagName.toUpperCase())) out.push(`<${el.tagName}>`);
        const pos = getComputedStyle(el).position;
        if (pos === 'fixed' || pos === 'sticky') out.push(`${el.tagName} position:${pos}`);
        // Inline style is KaTeX's alone (its output is not the author's HTML).
        if (el.hasAttribute('style') && !el.closest('.katex')) out.push(`${el.tagName} style=${el.getAttribute('style')}`);
      }
      // Nothing the author wrote is drawn outside the card's box.
      const box = card.getBoundingClientRect();
      for (const el of card.querySelectorAll('a, p, span, div')) {
        const r = el.getBoundingClientRect();
        if (r.width && (r.top < box.top - 1 || r.left < box.left - 1 || r.right > box.right + 1)) out.push(`${el.tagName} "${el.textContent?.slice(0, 30)}" drawn outside the card`);
      }
      if (card.querySelector('.notice, .skip')) out.push('the card borrowed page classes');
      // The links that did survive are plain navigation or in-repo paths.
      for (const a of card.querySelectorAll('a[href]')) {
        const url = new URL((a as HTMLAnchorElement).href);
        if (!['http:', 'https:', 'mailto:'].includes(url.protocol)) out.push(`link ${url.href}`);
      }
      return out;
    });
    assert.deepEqual(findings, []);
    // The text of the card is still there: inert, not lost.
    const text = await page.locator('article.card-body').innerText();
    assert.match(text, /upper-case scheme/);
    assert.match(text, /overlay span/);
    assert.match(text, /borrowed page classes/);
    // What is left of the stripped links is inert text: clicking it goes nowhere and runs nothing.
    await page.getByText('upper-case scheme').click();
    await page.getByText('data anchor').click();
    await page.waitForTimeout(200);
    assert.equal(page.url(), `${hub.url}/${XSS_REPO}`);
    await done(page, problems);
  });

  test('served .html and .svg files with script do not run when opened directly', async () => {
    const { page, problems } = await fresh();
    for (const p of [`/${XSS_REPO}/resolve/main/evil.html`, `/${XSS_REPO}/raw/main/evil.html`, `/${XSS_REPO}/resolve/main/evil.svg`, `/${XSS_REPO}/raw/main/evil.svg`]) {
      const res = await page.goto(`${hub.url}${p}`);
      assert.equal(res?.status(), 200, p);
      const headers = res!.headers();
      assert.match(headers['content-security-policy'] ?? '', /sandbox/, `${p}: CSP sandbox`);
      assert.match(headers['content-type'] ?? '', /^text\/plain/, `${p}: served as text`);
      assert.equal(headers['x-content-type-options'], 'nosniff');
      await page.waitForTimeout(200);
      assert.equal(await page.evaluate(() => document.querySelectorAll('script, img, svg').length), 0, `${p}: shown as text, not parsed`);
    }
    // The same files in the viewer: escaped source, highlighted.
    for (const name of ['evil.html', 'evil.svg']) {
      await page.goto(`${hub.url}/${XSS_REPO}/blob/main/${name}`);
      assert.match(await page.locator('table.code').innerText(), /<script>alert/);
      assert.equal(await page.locator('.blob script, .blob svg, .blob img').count(), 0);
    }
    await page.waitForTimeout(200);
    await done(page, problems);
  });

  test('server-rendered first paint: with JavaScript disabled the card and the file list are there', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await page.goto(`${hub.url}/${REPO}`);
      assert.equal(await page.locator('article.card-body h1').innerText(), 'Orchard Demo');
      assert.equal(await page.locator('article.card-body .katex').count(), 2, 'math is rendered on the server');
      assert.ok((await page.locator('article.card-body .hljs-keyword').count()) >= 2, 'code is highlighted on the server');
      assert.match(await page.locator('aside.meta').innerText(), /apache-2\.0/);
      await page.goto(`${hub.url}/${REPO}/tree/main`);
      const names = await page.locator('table.files td.name a').allInnerTexts();
      assert.deepEqual(names.sort(), ['.gitattributes', 'README.md', 'config.json', 'model.safetensors', 'src'].sort());
      // Search works as a plain form too.
      await page.goto(`${hub.url}/models?search=orchard-demo`);
      assert.deepEqual(await page.locator('ul.cards a.name').allInnerTexts(), [REPO]);
    } finally {
      await context.close();
    }
  });
});
