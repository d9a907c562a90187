import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HMAC-signed URLs for LFS transfers. The HF clients send no Authorization
 * on the upload PUT (spec 6.5), so the URL carries its own proof, bound to
 * the action, repo id, object and size, with an expiry.
 */
export class UrlSigner {
  constructor(private readonly secret: Buffer) {}

  sign(parts: string[], expiresAt: number): string {
    return createHmac('sha256', this.secret).update(`${parts.join('\n')}\n${expiresAt}`).digest('base64url');
  }

  /** Query string `exp=…&sig=…` for the given parts, valid for `ttlSeconds`. */
  query(parts: string[], ttlSeconds: number): string {
    const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
    return `exp=${exp}&sig=${this.sign(parts, exp)}`;
  }

  verify(parts: string[], exp: string | null, sig: string | null): boolean {
    if (!exp || !sig || !/^\d+$/.test(exp)) return false;
    const expiresAt = Number(exp);
    if (expiresAt < Date.now() / 1000) return false;
    const expected = Buffer.from(this.sign(parts, expiresAt));
    const given = Buffer.from(sig);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}
