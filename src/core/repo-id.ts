import { HubError } from './errors.js';

export const REPO_TYPES = ['model', 'dataset', 'space'] as const;
export type RepoType = (typeof REPO_TYPES)[number];

/** URL prefix of a repo type in resolve and git URLs: none for models. */
export function typePrefix(type: RepoType): string {
  return type === 'model' ? '' : `${type}s/`;
}

/** `models`, `datasets`, `spaces` as used by `/api/{T}/...`. */
export function typePlural(type: RepoType): string {
  return `${type}s`;
}

export function typeFromPlural(plural: string): RepoType | undefined {
  switch (plural) {
    case 'models':
      return 'model';
    case 'datasets':
      return 'dataset';
    case 'spaces':
      return 'space';
    default:
      return undefined;
  }
}

export function parseRepoType(value: unknown): RepoType {
  if (value === undefined || value === null || value === '') return 'model';
  if (typeof value === 'string' && (REPO_TYPES as readonly string[]).includes(value)) return value as RepoType;
  throw new HubError('BadRequest', `Invalid repo type: ${String(value)}`);
}

/**
 * Namespaces that would make routing ambiguous (spec 1.1) or that the hub uses
 * for its own pages.
 */
export const RESERVED_NAMESPACES = new Set([
  'api', 'datasets', 'spaces', 'models', 'kernels', 'buckets', 'docs', 'login', 'logout', 'join',
  'settings', 'new', 'search', 'static', 'assets', 'healthz', 'readyz', 'metrics', 'internal', 'lfs',
  'organizations', 'collections', 'papers', 'admin', 'leaderboards', 'arena',
]);

// Same alphabet as transformers.js accepts remotely, with `--` and `..` refused so
// that the Python cache folder name (`models--ns--name`) stays unambiguous.
const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$/;

export function validateName(kind: 'namespace' | 'repo name', value: unknown): string {
  if (typeof value !== 'string' || !NAME_RE.test(value) || value.includes('--') || value.includes('..')) {
    throw new HubError(
      'BadRequest',
      `Invalid ${kind} ${JSON.stringify(String(value))}: use letters, digits, '-', '_' and '.', at most 96 characters, not starting or ending with '-' or '.', and without '--' or '..'`,
    );
  }
  if (kind === 'repo name' && (value.endsWith('.git') || value.endsWith('.ipynb'))) {
    throw new HubError('BadRequest', `Invalid repo name ${JSON.stringify(value)}: it cannot end with .git or .ipynb`);
  }
  return value;
}

export interface RepoRef {
  readonly type: RepoType;
  readonly namespace: string;
  readonly name: string;
}

export function repoFullName(ref: { namespace: string; name: string }): string {
  return `${ref.namespace}/${ref.name}`;
}

/** Validates both halves of a repo id and refuses reserved namespaces. */
export function makeRepoRef(type: RepoType, namespace: unknown, name: unknown): RepoRef {
  const ns = validateName('namespace', namespace);
  if (RESERVED_NAMESPACES.has(ns.toLowerCase())) {
    throw new HubError('BadRequest', `The namespace ${JSON.stringify(ns)} is reserved`);
  }
  return { type, namespace: ns, name: validateName('repo name', name) };
}

/** Parses `namespace/name` (as in `fromRepo` of a move). */
export function parseRepoId(type: RepoType, id: unknown): RepoRef {
  if (typeof id !== 'string') throw new HubError('BadRequest', 'A repo id must be a string "namespace/name"');
  const parts = id.split('/');
  if (parts.length !== 2) throw new HubError('BadRequest', `Invalid repo id ${JSON.stringify(id)}: expected "namespace/name"`);
  return makeRepoRef(type, parts[0], parts[1]);
}
