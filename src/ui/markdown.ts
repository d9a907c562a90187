import { createHash } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import hljs from 'highlight.js';
import katex from 'katex';
import MarkdownIt, { type Env, type MarkdownIt as MarkdownItType, type StateBlock, type StateInline, type Token } from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import { frontMatter } from '../services/card.js';

/**
 * Model and dataset cards: Markdown with tables, code highlighting and math,
 * with whatever HTML the author wrote passed through an allow-list sanitiser.
 * Scripts, event handlers, `javascript:` URLs, iframes, forms and styles do
 * not survive; relative links and images point into the repo.
 *
 * KaTeX's output needs inline `style` (lengths and offsets). Allowing that to
 * the author's HTML let a card move a link of its own over the page outside
 * the card (`<span class="vlist"><span style="top:-12em">`), so math is
 * rendered to an unguessable placeholder, the author's HTML is sanitised
 * with no `style` at all, and KaTeX's markup (from `trust: false`, TeX
 * escaped by KaTeX itself) is put back afterwards.
 */
const md: MarkdownItType = new MarkdownIt({
  html: true,
  linkify: true,
  typographer: false,
  highlight(code, lang) {
    const language = lang && hljs.getLanguage(lang) ? lang : undefined;
    const out = language ? hljs.highlight(code, { language, ignoreIllegals: true }).value : md.utils.escapeHtml(code);
    return `<pre class="hljs"><code class="hljs${language ? ` language-${language}` : ''}">${out}</code></pre>`;
  },
});
md.use(mathPlugin);

function renderMath(tex: string, displayMode: boolean): string {
  return katex.renderToString(tex, { displayMode, output: 'html', throwOnError: false, trust: false, maxSize: 50, maxExpand: 1000 });
}

/** What one render collects: the rendered math, and the secret that names its placeholders. */
interface MathEnv extends Env {
  key: string;
  math: string[];
}

function mathPlaceholder(env: Env | undefined, rendered: string): string {
  const { key, math } = env as MathEnv;
  math.push(rendered);
  return `\uE000${key}:${math.length - 1}\uE001`;
}

/** `$…$` inline and `$$…$$` blocks, rendered by KaTeX. */
function mathPlugin(m: MarkdownItType): void {
  m.inline.ruler.after('escape', 'math_inline', (state: StateInline, silent: boolean) => {
    const src = state.src;
    const start = state.pos;
    if (src[start] !== '$' || src[start + 1] === '$') return false;
    const end = src.indexOf('$', start + 1);
    if (end < 0 || end === start + 1) return false;
    const inner = src.slice(start + 1, end);
    // "$5 and $6" is money, not math: require no space inside the delimiters and no digit after.
    if (/^\s|\s$/.test(inner) || /\d/.test(src[end + 1] ?? '') || inner.includes('\n\n')) return false;
    if (!silent) {
      const token = state.push('math_inline', 'math', 0);
      token.content = inner;
    }
    state.pos = end + 1;
    return true;
  });
  m.block.ruler.after('blockquote', 'math_block', (state: StateBlock, startLine: number, endLine: number, silent: boolean) => {
    const lineStart = state.bMarks[startLine]! + state.tShift[startLine]!;
    const firstLine = state.src.slice(lineStart, state.eMarks[startLine]);
    if (!firstLine.startsWith('$$')) return false;
    if (silent) return true;
    let content = firstLine.slice(2);
    let line = startLine;
    let closed = content.trimEnd().endsWith('$$');
    if (closed) content = content.trimEnd().slice(0, -2);
    while (!closed && ++line < endLine) {
      const text = state.src.slice(state.bMarks[line]! + state.tShift[line]!, state.eMarks[line]);
      if (text.trimEnd().endsWith('$$')) {
        content += `\n${text.trimEnd().slice(0, -2)}`;
        closed = true;
      } else content += `\n${text}`;
    }
    const token = state.push('math_block', 'math', 0);
    token.content = content;
    token.block = true;
    state.line = line + 1;
    return true;
  });
  m.renderer.rules.math_inline = (tokens: Token[], idx: number, _o: unknown, env: Env | undefined) => mathPlaceholder(env, renderMath(tokens[idx]!.content, false));
  m.renderer.rules.math_block = (tokens: Token[], idx: number, _o: unknown, env: Env | undefined) =>
    `<div class="math-block">${mathPlaceholder(env, renderMath(tokens[idx]!.content, true))}</div>`;
}

function sanitiseOptions(baseUrl: string | undefined): sanitizeHtml.IOptions {
  const fix = (url: string | undefined): string | undefined => {
    if (!url || !baseUrl) return url;
    if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('/') || url.startsWith('#')) return url;
    return `${baseUrl}/${url.replace(/^\.\//, '')}`;
  };
  return {
    allowedTags: [
      'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'br', 'hr', 'blockquote', 'pre', 'code', 'span', 'div', 'a', 'img', 'picture', 'source',
      'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'strong', 'b', 'em', 'i', 'u', 's', 'del', 'ins', 'sup', 'sub', 'kbd', 'mark', 'small',
      'table', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'caption', 'details', 'summary', 'center', 'abbr', 'figure', 'figcaption',
    ],
    allowedAttributes: {
      a: ['href', 'title', 'name'],
      img: ['src', 'alt', 'title', 'width', 'height', 'align'],
      source: ['srcset', 'media', 'type'],
      span: ['class'],
      div: ['class', 'align'],
      p: ['align'],
      code: ['class'],
      pre: ['class'],
      th: ['align', 'colspan', 'rowspan'],
      td: ['align', 'colspan', 'rowspan'],
      h1: ['align'], h2: ['align'], h3: ['align'],
      abbr: ['title'],
      details: ['open'],
    },
    // Only the classes this renderer writes (highlight.js, math blocks): a card cannot borrow the page's own.
    allowedClasses: { span: ['hljs-*', 'language-*'], code: ['hljs', 'language-*'], pre: ['hljs'], div: ['math-block'] },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https', 'data'] },
    allowProtocolRelative: false,
    transformTags: {
      a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, ...(attribs.href ? { href: fix(attribs.href)! } : {}), rel: 'nofollow noopener noreferrer' } }),
      img: (tagName, attribs) => ({ tagName, attribs: { ...attribs, ...(attribs.src ? { src: fix(attribs.src)! } : {}), loading: 'lazy' } }),
    },
  };
}

/** Renders Markdown to sanitised HTML. `fileBase` makes relative links point at the repo's files. */
export function renderMarkdown(source: string, opts: { fileBase?: string } = {}): string {
  const env: MathEnv = { key: randomBytes(9).toString('base64url'), math: [] };
  const rendered = md.render(source, env);
  const options = sanitiseOptions(opts.fileBase);
  options.allowedAttributes = { ...options.allowedAttributes, a: [...(options.allowedAttributes as Record<string, string[]>).a!, 'rel'], img: [...(options.allowedAttributes as Record<string, string[]>).img!, 'loading'] };
  const placeholders = new RegExp(`\uE000${env.key}:(\\d+)\uE001`, 'g');
  return sanitizeHtml(rendered, options).replace(placeholders, (_, i: string) => env.math[Number(i)]!);
}

/** A card without its YAML front matter (which the page shows as structured metadata instead). */
export function cardBody(readme: string): string {
  const fm = frontMatter(readme);
  if (fm === undefined) return readme;
  const m = /^\uFEFF?---[ \t]*\r?\n[\s\S]*?\r?\n---[ \t]*(?:\r?\n|$)/.exec(readme);
  return m ? readme.slice(m[0].length) : readme.replace(/^---\n---\n?/, '');
}

/**
 * Rendering a card (KaTeX, highlighting, sanitising) costs tens of
 * milliseconds; the result depends only on the text and the link base, so
 * recent results are kept, up to 32 MiB of HTML, keyed by a hash.
 */
const CACHE_BYTES = 32 * 1024 * 1024;
const cache = new Map<string, string>();
let cachedBytes = 0;

export function renderMarkdownCached(source: string, opts: { fileBase?: string } = {}): string {
  const key = createHash('sha256').update(opts.fileBase ?? '').update('\u0000').update(source).digest('base64');
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const out = renderMarkdown(source, opts);
  if (out.length <= CACHE_BYTES / 8) {
    cache.set(key, out);
    cachedBytes += out.length;
    for (const [k, v] of cache) {
      if (cachedBytes <= CACHE_BYTES) break;
      cache.delete(k);
      cachedBytes -= v.length;
    }
  }
  return out;
}
