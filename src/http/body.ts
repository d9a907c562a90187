import type { IncomingMessage } from 'node:http';
import { HubError } from '../core/errors.js';

/** Reads a whole small body, refusing more than `limit` bytes with 413. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new HubError('PayloadTooLarge', `Request body is larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) throw new HubError('PayloadTooLarge', `Request body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const buf = await readBody(req, limit);
  if (buf.length === 0) return {};
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch {
    throw new HubError('BadRequest', 'The request body is not valid JSON');
  }
}

/** A JSON object body, or 400. */
export async function readJsonObject(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const v = await readJson(req, limit);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HubError('BadRequest', 'The request body must be a JSON object');
  return v as Record<string, unknown>;
}

/**
 * Splits a streamed body into UTF-8 lines without holding more than one line
 * (at most `maxLine` bytes) in memory.
 */
export async function* readLines(req: AsyncIterable<Buffer>, maxLine: number): AsyncGenerator<string> {
  let pending: Buffer[] = [];
  let pendingLen = 0;
  for await (const chunk of req) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      const part = chunk.subarray(start, nl);
      if (pendingLen + part.length > maxLine) throw new HubError('PayloadTooLarge', `A line of the payload is longer than ${maxLine} bytes`);
      const line = pendingLen ? Buffer.concat([...pending, part]) : part;
      pending = [];
      pendingLen = 0;
      yield line.toString('utf8');
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length) {
      if (pendingLen + rest.length > maxLine) throw new HubError('PayloadTooLarge', `A line of the payload is longer than ${maxLine} bytes`);
      pending.push(rest);
      pendingLen += rest.length;
    }
  }
  if (pendingLen) yield Buffer.concat(pending).toString('utf8');
}
