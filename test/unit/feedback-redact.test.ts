import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { luhnValid, redact, redactText } from '../../src/services/feedback-redact.js';

/** [input, expected output] pairs, written by hand. */
const CASES: [string, string][] = [
  // e-mails
  ['mail me at jane.doe+ml@example.co.uk please', 'mail me at [EMAIL] please'],
  ['<a@b.io>, second: X_Y@sub.domain.org.', '<[EMAIL]>, second: [EMAIL].'],
  ['not an email: user@localhost or @handle', 'not an email: user@localhost or @handle'],
  // phones, international and national
  ['call +1 415 555 2671 now', 'call [PHONE] now'],
  ['+44 20 7946 0958', '[PHONE]'],
  ['+33 6 12 34 56 78', '[PHONE]'],
  ['+49 (0) 30 901820', '[PHONE]'],
  ['+14155552671', '[PHONE]'],
  ['(415) 555-2671', '[PHONE]'],
  ['415-555-2671 or 415.555.2671', '[PHONE] or [PHONE]'],
  ['020 7946 0958', '[PHONE]'],
  ['06 12 34 56 78', '[PHONE]'],
  ['0612345678', '[PHONE]'],
  // numbers that are not phones
  ['In 2024 we shipped v1.2.3 and 10.4.1; lr=1e-5, eps 3e-08.', 'In 2024 we shipped v1.2.3 and 10.4.1; lr=1e-5, eps 3e-08.'],
  ['It has 1234567 parameters and 7000000000 tokens.', 'It has 1234567 parameters and 7000000000 tokens.'],
  ['pi is 3.14159265358979, e is 2.718281828', 'pi is 3.14159265358979, e is 2.718281828'],
  ['dates 2024-01-15 and 15/01/2024, time 12:30:45', 'dates 2024-01-15 and 15/01/2024, time 12:30:45'],
  ['1 + 2 = 3, 100-200-300', '1 + 2 = 3, 100-200-300'],
  ['ISBN 978-3-16-148410-0', 'ISBN 978-3-16-148410-0'],
  // keys and tokens
  ['token hf_abcdefghijklmnopqrstuvwxyzABCDEFGH used', 'token [KEY] used'],
  ['AWS AKIAIOSFODNN7EXAMPLE here', 'AWS [KEY] here'],
  ['OPENAI_API_KEY=sk-proj-abcDEF1234567890xyzXYZ', 'OPENAI_API_KEY=[KEY]'],
  ['gh: ghp_0123456789abcdefghijABCDEFGHIJ0123', 'gh: [KEY]'],
  [
    'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end',
    'jwt [KEY] end',
  ],
  ['api_key: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"', 'api_key: "[KEY]"'],
  ['secret = c2VjcmV0LXZhbHVlLTEyMzQ1Njc4OTA=', 'secret = [KEY]'],
  ['my password is hunter22!', 'my password is [KEY]'],
  ['"password": "correct-horse"', '"password": "[KEY]"'],
  ['the key point is the tokenizer; a secret recipe', 'the key point is the tokenizer; a secret recipe'],
  ['-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----', '[KEY]'],
  ['Authorization: Bearer abc123def456ghi789jkl', 'Authorization: Bearer [KEY]'],
  ['slack xoxb-1234567890-abcdefghij', 'slack [KEY]'],
  // IP addresses
  ['server 192.168.1.20 and 8.8.8.8.', 'server [IP] and [IP].'],
  ['not an ip: 999.1.1.1', 'not an ip: 999.1.1.1'],
  ['v6 2001:db8:85a3::8a2e:370:7334 and ::1 and fe80::1:2', 'v6 [IP] and ::1 and [IP]'],
  ['std::vector<int> and a::b', 'std::vector<int> and a::b'],
  ['at 2024-01-15T12:30:45Z, MAC 00:1A:2B:3C:4D:5E', 'at 2024-01-15T12:30:45Z, MAC 00:1A:2B:3C:4D:5E'],
  // cards (Luhn-checked)
  ['card 4111 1111 1111 1111 exp 12/29', 'card [CARD] exp 12/29'],
  ['4111-1111-1111-1111 and 5500005555555559', '[CARD] and [CARD]'],
  ['order 4111 1111 1111 1112 (bad checksum)', 'order 4111 1111 1111 1112 (bad checksum)'],
  // mixed
  ['Contact bob@corp.com / +1 (415) 555-2671 from 10.0.0.1', 'Contact [EMAIL] / [PHONE] from [IP]'],
  ['', ''],
  ['nothing personal here', 'nothing personal here'],
];

describe('feedback redaction', () => {
  for (const [input, expected] of CASES) {
    test(JSON.stringify(input).slice(0, 70), () => {
      assert.equal(redact(input), expected);
    });
  }

  test('counts what it replaced', () => {
    const r = redactText('a@b.io c@d.io 8.8.8.8 hf_abcdefghijklmnopqrstuvwxyz');
    assert.deepEqual(r.counts, { EMAIL: 2, IP: 1, KEY: 1 });
    assert.deepEqual(redactText('plain').counts, {});
  });

  test('is idempotent: redacting twice changes nothing more', () => {
    for (const [input] of CASES) assert.equal(redact(redact(input)), redact(input));
  });

  test('Luhn', () => {
    assert.equal(luhnValid('4111111111111111'), true);
    assert.equal(luhnValid('79927398713'), true);
    assert.equal(luhnValid('79927398710'), false);
    assert.equal(luhnValid('12a4'), false);
  });
});
