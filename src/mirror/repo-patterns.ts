import type { RepoRef } from '../core/repo-id.js';

/**
 * Allow and deny lists of repos for the mirror: `org/name`, `org/*`, each
 * optionally prefixed by `models/`, `datasets/` or `spaces/` (without a prefix
 * a pattern matches every type). Deny wins; an empty allow list allows all.
 * Matching ignores case, as repo names do.
 */
export class RepoPatterns {
  private readonly allow: Matcher[];
  private readonly deny: Matcher[];

  constructor(allow: string[], deny: string[]) {
    this.allow = allow.map(parse);
    this.deny = deny.map(parse);
  }

  allows(ref: RepoRef): boolean {
    if (this.deny.some((m) => m(ref))) return false;
    return this.allow.length === 0 || this.allow.some((m) => m(ref));
  }
}

type Matcher = (ref: RepoRef) => boolean;

function parse(pattern: string): Matcher {
  const parts = pattern.toLowerCase().split('/');
  const type = parts.length === 3 ? ({ models: 'model', datasets: 'dataset', spaces: 'space' } as Record<string, string>)[parts[0]!] : undefined;
  const [ns, name] = parts.slice(-2) as [string, string];
  return (ref) => (type === undefined || ref.type === type) && ref.namespace.toLowerCase() === ns && (name === '*' || ref.name.toLowerCase() === name);
}
