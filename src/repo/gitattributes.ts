import ignore from 'ignore';

/**
 * The `.gitattributes` a new repo starts with: the LFS rules seen in public
 * Hub repos (spec 5.1).
 */
export const DEFAULT_GITATTRIBUTES = [
  '*.7z', '*.arrow', '*.bin', '*.bz2', '*.ckpt', '*.ftz', '*.gz', '*.h5', '*.joblib', '*.lfs.*', '*.mlmodel',
  '*.model', '*.msgpack', '*.npy', '*.npz', '*.onnx', '*.ot', '*.parquet', '*.pb', '*.pickle', '*.pkl', '*.pt',
  '*.pth', '*.rar', '*.safetensors', 'saved_model/**/*', '*.tar.*', '*.tar', '*.tflite', '*.tgz', '*.wasm', '*.xz',
  '*.zip', '*.zst', '*tfevents*',
]
  .map((p) => `${p} filter=lfs diff=lfs merge=lfs -text`)
  .join('\n') + '\n';

interface Rule {
  pattern: string;
  matcher: ReturnType<typeof ignore>;
  lfs: boolean | undefined;
}

/**
 * LFS rules of a root `.gitattributes`. Patterns follow gitignore matching
 * (git documents them as such, minus negation), so the `ignore` package
 * matches them; the last matching line that sets `filter` wins.
 */
export class LfsAttributes {
  private readonly rules: Rule[] = [];

  constructor(text: string | undefined) {
    for (const raw of (text ?? '').split(/\r?\n/)) {
      const line = raw.trim();
      if (!line || line.startsWith('#') || line.startsWith('!')) continue;
      const parts = line.split(/\s+/);
      const pattern = parts[0]!;
      let lfs: boolean | undefined;
      for (const attr of parts.slice(1)) {
        if (attr === 'filter=lfs') lfs = true;
        else if (attr.startsWith('filter=') || attr === '-filter' || attr === '!filter') lfs = false;
      }
      if (lfs === undefined) continue;
      try {
        // git-lfs writes spaces as the POSIX class [[:space:]], which the matcher lacks.
        this.rules.push({ pattern, matcher: ignore().add(pattern.replaceAll('[[:space:]]', '?')), lfs });
      } catch {
        // a pattern the matcher cannot read is skipped, as git skips it
      }
    }
  }

  /** True when the last rule matching `path` sets `filter=lfs`. */
  isLfs(path: string): boolean {
    let result = false;
    for (const rule of this.rules) {
      if (rule.matcher.ignores(path)) result = rule.lfs === true;
    }
    return result;
  }
}

/** Escapes a path for use as a literal `.gitattributes` pattern. */
export function literalAttributePattern(path: string): string {
  return path.replace(/([\\*?[\]!#])/g, '\\$1').replace(/\s/g, '[[:space:]]');
}
