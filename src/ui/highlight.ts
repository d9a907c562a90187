import hljs from 'highlight.js';

const BY_EXTENSION: Record<string, string> = {
  py: 'python', js: 'javascript', mjs: 'javascript', cjs: 'javascript', ts: 'typescript', json: 'json', jsonl: 'json',
  md: 'markdown', yaml: 'yaml', yml: 'yaml', toml: 'ini', ini: 'ini', cfg: 'ini', sh: 'bash', bash: 'bash', rs: 'rust',
  go: 'go', c: 'c', h: 'c', cpp: 'cpp', cc: 'cpp', hpp: 'cpp', cu: 'cpp', java: 'java', rb: 'ruby', html: 'xml', xml: 'xml',
  svg: 'xml', css: 'css', sql: 'sql', r: 'r', jl: 'julia', swift: 'swift', kt: 'kotlin', dockerfile: 'dockerfile', txt: 'plaintext',
  csv: 'plaintext', tsv: 'plaintext', ipynb: 'json', lua: 'lua', php: 'php', scala: 'scala', proto: 'protobuf', makefile: 'makefile',
};

export function languageFor(path: string): string | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  if (name === 'dockerfile' || name === 'makefile') return BY_EXTENSION[name];
  const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : '';
  const lang = BY_EXTENSION[ext];
  return lang && hljs.getLanguage(lang) ? lang : undefined;
}

/**
 * Highlights source and splits it into lines, re-opening the spans a line
 * starts inside, so that each line can sit in its own table row (for line
 * numbers and `#L12` links) and still be valid HTML.
 */
export function highlightLines(source: string, language: string | undefined): string[] {
  const highlighted = language
    ? hljs.highlight(source, { language, ignoreIllegals: true }).value
    : source.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
  const lines: string[] = [];
  const open: string[] = [];
  for (const line of highlighted.split('\n')) {
    const prefix = open.join('');
    for (const m of line.matchAll(/<span[^>]*>|<\/span>/g)) {
      if (m[0] === '</span>') open.pop();
      else open.push(m[0]);
    }
    lines.push(prefix + line + '</span>'.repeat(open.length));
  }
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
