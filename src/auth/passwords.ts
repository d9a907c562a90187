import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { HubError } from '../core/errors.js';

/**
 * Password hashing with node's built-in scrypt: slow, salted, memory-hard and
 * no native build. The stored string records its own parameters in the PHC
 * style (`$scrypt$ln=15,r=8,p=1$<salt>$<hash>`, base64 without padding), so
 * the cost can be raised later: old hashes still verify, and `needsRehash`
 * tells sign-in to upgrade them.
 */
export interface ScryptParams {
  /** log2 of the CPU/memory cost N */
  ln: number;
  r: number;
  p: number;
}

/** N = 32768, r = 8, p = 1: 32 MiB and a few hundred milliseconds per hash. */
export const CURRENT_PARAMS: ScryptParams = { ln: 15, r: 8, p: 1 };

export const MIN_PASSWORD_LENGTH = 8;
/** Long enough for any passphrase; bounds the work an attacker can ask of one request. */
export const MAX_PASSWORD_LENGTH = 1024;

const SALT_BYTES = 16;
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, params: ScryptParams, keyLength: number): Promise<Buffer> {
  const N = 2 ** params.ln;
  return new Promise((resolve, reject) => {
    // node refuses more than 32 MiB by default; scrypt needs 128·N·r bytes plus a little.
    scrypt(password.normalize('NFC'), salt, keyLength, { N, r: params.r, p: params.p, maxmem: 256 * N * params.r }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** The rules a new password must meet, or 400. */
export function checkNewPassword(password: unknown, field = 'password'): string {
  if (typeof password !== 'string') throw new HubError('BadRequest', `"${field}" must be a string`);
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) throw new HubError('BadRequest', `The password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  if (length > MAX_PASSWORD_LENGTH) throw new HubError('BadRequest', `The password must have at most ${MAX_PASSWORD_LENGTH} characters`);
  return password;
}

export async function hashPassword(password: string, params: ScryptParams = CURRENT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_BYTES);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${salt.toString('base64').replace(/=+$/, '')}$${key.toString('base64').replace(/=+$/, '')}`;
}

interface Parsed {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): Parsed | undefined {
  const m = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(stored);
  if (!m) return undefined;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  // A damaged or hostile row must not make one sign-in allocate gigabytes.
  if (params.ln < 10 || params.ln > 20 || params.r < 1 || params.r > 32 || params.p < 1 || params.p > 16) return undefined;
  const salt = Buffer.from(m[4]!, 'base64');
  const key = Buffer.from(m[5]!, 'base64');
  if (salt.length < 8 || key.length < 16 || key.length > 64) return undefined;
  return { params, salt, key };
}

/** Does `password` match the stored hash? Compared in constant time; a malformed hash matches nothing. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.params, parsed.key.length);
  return timingSafeEqual(key, parsed.key);
}

/** True when the hash was made with weaker parameters than today's: sign-in re-hashes it. */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  if (!parsed) return true;
  const { ln, r, p } = parsed.params;
  return ln < CURRENT_PARAMS.ln || r < CURRENT_PARAMS.r || p < CURRENT_PARAMS.p || parsed.key.length < KEY_BYTES;
}

let dummy: Promise<string> | undefined;

/**
 * Spends the time of one verification when there is no hash to check (unknown
 * user, no password, disabled account), so that the answer's timing does not
 * tell which names exist.
 */
export async function burnVerification(password: string): Promise<void> {
  dummy ??= hashPassword('orchard-timing-equaliser');
  await verifyPassword(password, await dummy);
}
