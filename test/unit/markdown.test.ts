/**
 * The card renderer's guarantees that the browser suite (e2e-ui-read) cannot
 * see directly: KaTeX keeps its inline styles while the author's HTML gets
 * none, and the math placeholders never reach an attribute or get forged.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderMarkdown } from '../../src/ui/markdown.js';

describe('card Markdown', () => {
  test("the author's HTML keeps no style and only the renderer's own classes", () => {
    const out = renderMarkdown('<span class="vlist notice" style="top:-40em">x</span> <div class="skip math-block" style="position:fixed">y</div>');
    assert.doesNotMatch(out, /style=/);
    assert.doesNotMatch(out, /vlist|notice|skip/);
    assert.match(out, /<div class="math-block">y<\/div>/);
  });

  test('math is rendered by KaTeX, with its layout styles', () => {
    const out = renderMarkdown('inline $x^2$ and\n\n$$\n\\frac{1}{2}\n$$\n');
    assert.equal(out.match(/class="katex"/g)?.length, 2);
    assert.match(out, /<span class="vlist" style="height:/);
    assert.doesNotMatch(out, /\uE000|\uE001/, 'no placeholder is left');
  });

  test('math never lands in an attribute, and a forged placeholder stays text', () => {
    const out = renderMarkdown('![alt $x$](a.png) [l $y$](http://e.org "t $z$") <a title="\uE000abc:0\uE001" href="http://e.org">&#xE000;abc:0&#xE001;</a> $w$');
    for (const [, name, value] of out.matchAll(/ ([a-z-]+)="([^"]*)"/g)) {
      if (name !== 'class' && name !== 'style' && name !== 'aria-hidden') assert.doesNotMatch(value!, /<|katex/, `${name}="${value}"`);
    }
    assert.match(out, /title="t \$z\$"/);
    assert.equal(out.match(/class="katex"/g)?.length, 2, 'the link text and the last formula');
  });

  test('script, handlers and javascript: URLs do not survive', () => {
    const out = renderMarkdown('<script>alert(1)</script>[x](javascript:alert(2))<img src=x onerror=alert(3)><a href="JAVASCRIPT:alert(5)">a</a>\n\n$$\n\\href{javascript:alert(7)}{x}\n$$\n');
    assert.doesNotMatch(out, /<script|onerror|javascript:alert\([357]\)|href="javascript/i);
  });
});
