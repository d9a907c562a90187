import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { FEEDBACK_SCHEMA, schemaError, unsupportedKeywords } from '../../src/services/feedback-schema.js';

describe('feedback JSON Schema', () => {
  test('docs/feedback.schema.json is the schema the server validates against', async () => {
    const doc = JSON.parse(await readFile(new URL('../../../docs/feedback.schema.json', import.meta.url), 'utf8'));
    assert.deepEqual(doc, JSON.parse(JSON.stringify(FEEDBACK_SCHEMA)));
  });

  test('uses only keywords the validator understands', () => {
    assert.deepEqual(unsupportedKeywords(FEEDBACK_SCHEMA as unknown as Record<string, unknown>), []);
    assert.deepEqual(unsupportedKeywords({ type: 'object', properties: { a: { format: 'email' } } }), ['#/properties/a/format']);
  });

  test('accepts the documented forms and names the field of the first problem', () => {
    const s = FEEDBACK_SCHEMA as unknown as Record<string, unknown>;
    const ok = { prompt: 'p', response: 'r', rating: 3, consent: { publish: false } };
    assert.equal(schemaError(s, ok), undefined);
    assert.equal(schemaError(s, { ...ok, rating: 'down', prompt: [{ role: 'user', content: 'x' }], categories: ['code', 'other'], correction: 'c', note: '', modelRevision: 'main' }), undefined);
    assert.equal(schemaError(s, { ...ok, rating: true }), 'rating has the wrong type (true)');
    assert.equal(schemaError(s, { ...ok, prompt: [] }), 'prompt needs at least 1 item(s)');
    assert.equal(schemaError(s, { ...ok, prompt: 5 }), 'prompt has the wrong type (5)');
    assert.equal(schemaError(s, { ...ok, consent: { publish: true, forever: true } }), 'Unknown field consent.forever');
    assert.equal(schemaError(s, { ...ok, categories: 'code' }), 'categories must be an array');
  });
});
