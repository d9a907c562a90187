/**
 * Redaction of obvious personal data and secrets in feedback text, applied to
 * everything that leaves the hub in an export (and shown as a preview in the
 * triage queue). Pure: no I/O, no state. It is a best effort at the obvious,
 * not a guarantee: owners still read what they accept.
 *
 * Order matters: keys first (a JWT or a token holds digits a phone pattern
 * would take), then e-mails, card numbers (Luhn-checked, before phones so a
 * card is not half-eaten as a phone), IP addresses, and phone numbers last.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type RedactionKind = 'EMAIL' | 'PHONE' | 'KEY' | 'IP' | 'CARD';

export interface Redacted {
  text: string;
  /** how many of each kind were replaced */
  counts: Partial<Record<RedactionKind, number>>;
}

const mark = (k: RedactionKind): string => `[${k}]`;

/** Well-known token shapes, recognised anywhere. */
const KEY_PATTERNS: RegExp[] = [
  // Orchard and Hugging Face tokens: `hf_` and base62.
  /\bhf_[A-Za-z0-9]{20,}\b/g,
  // AWS access key ids.
  /\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b/g,
  // OpenAI-style secret keys (`sk-…`, `sk-proj-…`).
  /\bsk-[A-Za-z0-9_-]{16,}/g,
  // GitHub tokens, classic and fine-grained.
  /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{30,}\b/g,
  // Slack tokens.
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g,
  // JWTs: three base64url parts, the first two JSON objects (`eyJ`).
  /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g,
  // PEM private keys.
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
];

/**
 * A secret after a word that announces one (`api_key=…`, `token: …`,
 * `"secret": "…"`, `password is …`). Only the value is replaced. Key-like
 * words need a long value with a digit, so "the key point" stays; a password
 * needs six characters or more.
 */
const NAMED_SECRET = /\b((?:api|access|secret|private|auth|client)?[_-]?(?:key|token|secret)s?|password|passwd|pwd|passphrase|bearer)(["']?\s*(?:[:=]|=>|\bis\b)?\s*["']?\s*)([^\s"',;]+)/gi;

const EMAIL = /(?<![\w.+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}\b/g;

// 13–19 digits, optionally grouped by single spaces or dashes.
const CARD = /(?<![\w.+-])\d(?:[ -]?\d){12,18}(?![\w.-]?\d)/g;

const IPV4 = /(?<![\w.:-])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)/g;
// Candidates for IPv6: hex groups and colons (with an optional IPv4 tail); isIPv6 decides.
const IPV6 = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])/g;

/**
 * Phone numbers. International: `+` and 8–15 digits, grouped. National:
 * `(555) 123-4567`, `555-123-4567`, `555.123.4567`, and trunk-prefixed
 * `0…` numbers in groups (`020 7946 0958`, `06 12 34 56 78`, `0612345678`).
 * A run of digits without separators or a leading `+`/`0` is left alone
 * (years, counts, ids), as are versions (`1.2.3`), decimals and `1e-5`.
 */
const PHONE_PATTERNS: RegExp[] = [
  /(?<![\w+])\+\d{1,3}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,5}){2,6}(?![\w]|[.-]\d)/g,
  /(?<![\w(])\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}(?![\w]|[.-]\d)/g,
  /(?<![\w.+-])\d{3}([.-])\d{3}\1\d{4}(?![\w]|[.-]\d)/g,
  /(?<![\w.+-])0\d{1,4}(?:[ -]\d{2,4}){2,4}(?![\w]|[.-]\d)/g,
  /(?<![\w.+-])0[1-9]\d{8,9}(?![\w]|[.-]\d)/g,
];

function digits(s: string): number {
  return s.replace(/\D/g, '').length;
}

/** The Luhn checksum that every payment card number satisfies. */
export function luhnValid(number: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = number.length - 1; i >= 0; i--) {
    let d = number.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Replaces the obvious personal data and secrets in a text. */
export function redactText(input: string): Redacted {
  const counts: Partial<Record<RedactionKind, number>> = {};
  const hit = (k: RedactionKind): string => {
    counts[k] = (counts[k] ?? 0) + 1;
    return mark(k);
  };
  let text = input;
  for (const re of KEY_PATTERNS) text = text.replace(re, () => hit('KEY'));
  text = text.replace(NAMED_SECRET, (all, word: string, sep: string, value: string) => {
    // "tokenizer…" is no announcement: a separator (space, colon, equals sign) must follow the word.
    if (sep === '' || /^\[[A-Z]+\]/.test(value)) return all;
    const isPassword = /^(password|passwd|pwd|passphrase)$/i.test(word);
    const secretLike = isPassword ? value.length >= 6 : value.length >= 16 && /\d/.test(value) && /^[A-Za-z0-9+/=_.~-]+$/.test(value);
    return secretLike ? `${word}${sep}${hit('KEY')}` : all;
  });
  text = text.replace(EMAIL, () => hit('EMAIL'));
  text = text.replace(CARD, (m) => {
    const d = m.replace(/\D/g, '');
    // Mixed separators ("1234 5678-…") are not how cards are written.
    if (/ /.test(m) && /-/.test(m)) return m;
    return d.length >= 13 && d.length <= 19 && luhnValid(d) ? hit('CARD') : m;
  });
  text = text.replace(IPV4, (m) => (isIPv4(m) ? hit('IP') : m));
  text = text.replace(IPV6, (m) => {
    // "::", "a::b" or a time like 12:30:45 are not worth a redaction: want three groups or more, valid.
    const groups = m.split(':').filter((g) => g !== '').length;
    return groups >= 3 && isIPv6(m) ? hit('IP') : m;
  });
  for (const re of PHONE_PATTERNS) {
    text = text.replace(re, (m) => {
      const n = digits(m);
      const intl = m.startsWith('+');
      return n >= (intl ? 8 : 9) && n <= 15 ? hit('PHONE') : m;
    });
  }
  return { text, counts };
}

/** Just the redacted text. */
export function redact(input: string): string {
  return redactText(input).text;
}
