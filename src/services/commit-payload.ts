import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HubError } from '../core/errors.js';
import { validateFolderPath, validateRepoPath } from '../core/paths.js';
import { SHA256_RE } from '../core/revision.js';

export interface CommitHeader {
  summary: string;
  description: string;
  parentCommit: string | undefined;
}

export type CommitOp =
  | { kind: 'file'; path: string; tmpFile: string; size: number }
  | { kind: 'lfsFile'; path: string; oid: string; size: number | undefined; oldPath: string | undefined }
  | { kind: 'deletedFile'; path: string }
  | { kind: 'deletedFolder'; path: string };

export interface CommitPayload {
  header: CommitHeader;
  ops: CommitOp[];
  /** Removes the temp files of `file` operations. */
  cleanup(): Promise<void>;
}

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HubError('BadRequest', `Invalid commit payload: ${what} must be an object`);
  return v as Record<string, unknown>;
}

/**
 * Reads an NDJSON commit payload (spec 6.7) line by line. The bytes of
 * `file` operations go straight to temp files, so a commit of many files
 * never sits in memory at once; on any error the temp files are removed.
 */
export async function readCommitPayload(lines: AsyncIterable<string>, tmpDir: string): Promise<CommitPayload> {
  const ops: CommitOp[] = [];
  let header: CommitHeader | undefined;
  const cleanup = async (): Promise<void> => {
    await Promise.all(ops.map((op) => (op.kind === 'file' ? rm(op.tmpFile, { force: true }) : undefined)));
  };
  try {
    let lineNo = 0;
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new HubError('BadRequest', `Invalid commit payload: line ${lineNo} is not valid JSON`);
      }
      const item = obj(parsed, `line ${lineNo}`);
      const key = item.key;
      const value = obj(item.value, `the value of line ${lineNo}`);
      if (header === undefined) {
        if (key !== 'header') throw new HubError('BadRequest', 'Invalid commit payload: the first line must be the header');
        const summary = value.summary;
        if (typeof summary !== 'string' || summary.trim() === '') throw new HubError('BadRequest', 'Invalid commit payload: header.summary is required');
        const description = value.description ?? '';
        if (typeof description !== 'string') throw new HubError('BadRequest', 'Invalid commit payload: header.description must be a string');
        const parent = value.parentCommit;
        if (parent !== undefined && parent !== null && (typeof parent !== 'string' || !/^[0-9a-f]{5,40}$/.test(parent))) {
          throw new HubError('BadRequest', 'Invalid commit payload: header.parentCommit must be a commit id');
        }
        header = { summary: summary.slice(0, 1000), description, parentCommit: typeof parent === 'string' ? parent : undefined };
        continue;
      }
      ops.push(await readOp(String(key), value, lineNo, tmpDir));
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  if (!header) throw new HubError('BadRequest', 'Invalid commit payload: it is empty');
  return { header, ops, cleanup };
}

async function readOp(key: string, value: Record<string, unknown>, lineNo: number, tmpDir: string): Promise<CommitOp> {
  switch (key) {
    case 'file': {
      const p = validateRepoPath(value.path);
      const content = value.content;
      if (typeof content !== 'string') throw new HubError('BadRequest', `Invalid commit payload: file ${p} has no content`);
      const encoding = value.encoding ?? 'base64';
      let bytes: Buffer;
      if (encoding === 'base64') {
        if (!BASE64_RE.test(content) || content.length % 4 !== 0) throw new HubError('BadRequest', `Invalid commit payload: the content of ${p} is not valid base64`);
        bytes = Buffer.from(content, 'base64');
      } else if (encoding === 'utf-8' || encoding === 'utf8') {
        bytes = Buffer.from(content, 'utf8');
      } else {
        throw new HubError('BadRequest', `Invalid commit payload: unknown encoding ${JSON.stringify(encoding)}`);
      }
      const tmpFile = path.join(tmpDir, `commit-${randomBytes(8).toString('hex')}`);
      await writeFile(tmpFile, bytes);
      return { kind: 'file', path: p, tmpFile, size: bytes.length };
    }
    case 'lfsFile': {
      const p = validateRepoPath(value.path);
      const oid = value.oid;
      if (typeof oid !== 'string' || !SHA256_RE.test(oid)) throw new HubError('BadRequest', `Invalid commit payload: lfsFile ${p} needs a sha256 oid`);
      if (value.algo !== undefined && value.algo !== 'sha256') throw new HubError('BadRequest', `Invalid commit payload: unsupported algo ${String(value.algo)}`);
      const size = value.size;
      if (size !== undefined && size !== null && (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)) {
        throw new HubError('BadRequest', `Invalid commit payload: lfsFile ${p} has an invalid size`);
      }
      const oldPath = value.oldPath === undefined || value.oldPath === null ? undefined : validateRepoPath(value.oldPath, 'oldPath');
      return { kind: 'lfsFile', path: p, oid, size: typeof size === 'number' ? size : undefined, oldPath };
    }
    case 'deletedFile':
      return { kind: 'deletedFile', path: validateRepoPath(value.path) };
    case 'deletedFolder':
      return { kind: 'deletedFolder', path: validateFolderPath(value.path) };
    default:
      throw new HubError('BadRequest', `Invalid commit payload: unknown key ${JSON.stringify(key)} on line ${lineNo}`);
  }
}
