import { HubError } from './errors.js';

const MAX_PATH_BYTES = 4096;

/**
 * Validates a file path inside a repository, as given by a client. Refuses
 * everything that could escape the tree or confuse git: absolute paths, `..`
 * and `.` segments, empty segments, NUL and other control characters, a
 * `.git` segment, and backslashes (which some clients treat as separators).
 */
export function validateRepoPath(value: unknown, what = 'path'): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new HubError('BadRequest', `Invalid ${what}: it must be a non-empty string`);
  }
  if (Buffer.byteLength(value) > MAX_PATH_BYTES) throw new HubError('BadRequest', `Invalid ${what}: too long`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new HubError('BadRequest', `Invalid ${what}: control characters are not allowed`);
  if (value.includes('\\')) throw new HubError('BadRequest', `Invalid ${what} ${JSON.stringify(value)}: backslashes are not allowed`);
  if (value.startsWith('/')) throw new HubError('BadRequest', `Invalid ${what} ${JSON.stringify(value)}: absolute paths are not allowed`);
  const segments = value.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new HubError('BadRequest', `Invalid ${what} ${JSON.stringify(value)}: empty, '.' and '..' segments are not allowed`);
    }
    if (segment.toLowerCase() === '.git') {
      throw new HubError('BadRequest', `Invalid ${what} ${JSON.stringify(value)}: a '.git' segment is not allowed`);
    }
  }
  return value;
}

/** A folder path as sent by `deletedFolder` (PY appends a trailing slash). */
export function validateFolderPath(value: unknown): string {
  if (typeof value !== 'string') throw new HubError('BadRequest', 'Invalid folder path: it must be a string');
  const trimmed = value.replace(/\/+$/, '');
  return validateRepoPath(trimmed, 'folder path');
}
