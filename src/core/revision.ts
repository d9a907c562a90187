import { HubError } from './errors.js';

export const SHA1_RE = /^[0-9a-f]{40}$/;
export const SHA256_RE = /^[0-9a-f]{64}$/;

/**
 * Branch and tag names as git's check-ref-format allows them, a little
 * stricter: no leading '-', no '..', no control chars, no '@{', no trailing
 * '.lock' or '/'. Returns the name or throws BadRequest.
 */
export function validateRefName(name: unknown, kind: 'branch' | 'tag'): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 255) {
    throw new HubError('BadRequest', `Invalid ${kind} name`);
  }
  const bad =
    name.startsWith('-') ||
    name.startsWith('/') ||
    name.endsWith('/') ||
    name.endsWith('.') ||
    name.endsWith('.lock') ||
    name.includes('..') ||
    name.includes('//') ||
    name.includes('@{') ||
    name === '@' ||
    name === 'HEAD' ||
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0020\u007f~^:?*[\\]/.test(name) ||
    name.split('/').some((s) => s.startsWith('.')) ||
    name.startsWith('refs/');
  if (bad) throw new HubError('BadRequest', `Invalid ${kind} name ${JSON.stringify(name)}`);
  return name;
}

/**
 * Splits `rev/path...` segments (already split on '/', each still raw) where
 * the revision may itself contain slashes because the JS client sends it
 * unencoded in tree and commits URLs (spec 1.2). Known ref shapes are matched
 * greedily; otherwise the first segment is the revision.
 */
export function splitRevisionAndPath(segments: string[]): { revision: string; path: string[] } {
  const [first, second, third] = segments;
  if (first === 'refs' && second !== undefined) {
    if ((second === 'pr' || second === 'convert' || second === 'heads' || second === 'tags') && third !== undefined) {
      return { revision: segments.slice(0, 3).join('/'), path: segments.slice(3) };
    }
  }
  return { revision: first ?? '', path: segments.slice(1) };
}
