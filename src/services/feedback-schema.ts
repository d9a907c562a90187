/**
 * The JSON Schema of a feedback submission, and the small validator the API
 * runs it through. `docs/feedback.schema.json` is this same object (a unit
 * test keeps them equal), so what the documentation promises is exactly what
 * the server checks. The validator understands only the keywords used here
 * (type, enum, const, required, properties, additionalProperties, items,
 * minItems, maxItems, uniqueItems, minLength, maxLength, minimum, maximum,
 * pattern, oneOf); see docs/decisions.md for why not a library.
 */
import { HubError } from '../core/errors.js';

export const FEEDBACK_CATEGORIES = ['factual-error', 'harmful', 'refusal', 'formatting', 'code', 'reasoning', 'other'] as const;
export type FeedbackCategory = (typeof FEEDBACK_CATEGORIES)[number];

/** Size caps, in characters. */
export const FEEDBACK_LIMITS = { text: 32_000, messages: 64, note: 2_000, labels: 10, label: 40 } as const;

export const FEEDBACK_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://orchard.invalid/schemas/feedback.schema.json',
  title: 'Orchard model feedback',
  description: 'The body of POST /api/models/{namespace}/{name}/feedback.',
  type: 'object',
  required: ['prompt', 'response', 'rating', 'consent'],
  additionalProperties: false,
  properties: {
    prompt: {
      description: 'What the model was asked: a text, or the conversation so far as chat messages.',
      oneOf: [
        { type: 'string', minLength: 1, maxLength: FEEDBACK_LIMITS.text },
        {
          type: 'array',
          minItems: 1,
          maxItems: FEEDBACK_LIMITS.messages,
          items: {
            type: 'object',
            required: ['role', 'content'],
            additionalProperties: false,
            properties: {
              role: { enum: ['system', 'user', 'assistant'] },
              content: { type: 'string', maxLength: FEEDBACK_LIMITS.text },
            },
          },
        },
      ],
    },
    response: { description: "The model's answer.", type: 'string', minLength: 1, maxLength: FEEDBACK_LIMITS.text },
    modelRevision: {
      description: 'The revision that answered: a commit id or a branch or tag; stored as the commit it resolves to. Default: the head of the default branch.',
      type: 'string',
      minLength: 1,
      maxLength: 255,
    },
    rating: {
      description: '1 (bad) to 5 (good), or thumbs up / down.',
      oneOf: [
        { type: 'integer', minimum: 1, maximum: 5 },
        { enum: ['up', 'down'] },
      ],
    },
    categories: {
      description: 'What was wrong, from a fixed list.',
      type: 'array',
      maxItems: FEEDBACK_CATEGORIES.length,
      uniqueItems: true,
      items: { enum: [...FEEDBACK_CATEGORIES] },
    },
    correction: { description: 'A corrected or preferred response.', type: 'string', minLength: 1, maxLength: FEEDBACK_LIMITS.text },
    consent: {
      description: 'Whether the submitter agrees that this feedback, redacted, may be published in a dataset.',
      type: 'object',
      required: ['publish'],
      additionalProperties: false,
      properties: { publish: { type: 'boolean' } },
    },
    note: { description: 'A note for the model owners; never exported.', type: 'string', maxLength: FEEDBACK_LIMITS.note },
  },
} as const;

type Schema = Record<string, unknown>;

function typeOk(v: unknown, t: string): boolean {
  switch (t) {
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    default:
      return false;
  }
}

const show = (v: unknown): string => JSON.stringify(v)?.slice(0, 60) ?? String(v);

/** The first problem with `value` against `schema`, as a sentence naming the field, or undefined. */
export function schemaError(schema: Schema, value: unknown, at = 'body'): string | undefined {
  if (Array.isArray(schema.oneOf)) {
    const errors = (schema.oneOf as Schema[]).map((s) => schemaError(s, value, at));
    const passing = errors.filter((e) => e === undefined).length;
    if (passing === 1) return undefined;
    if (passing > 1) return `${at} matches more than one form`;
    // Name the problem of the form whose type matched, if any: it is the one the caller meant.
    const typed = (schema.oneOf as Schema[]).findIndex((s) => (typeof s.type === 'string' ? typeOk(value, s.type) : Array.isArray(s.enum) && typeof value === typeof s.enum[0]));
    return typed >= 0 ? errors[typed] : `${at} has the wrong type (${show(value)})`;
  }
  if (typeof schema.type === 'string' && !typeOk(value, schema.type)) return `${at} must be ${schema.type === 'integer' ? 'an integer' : schema.type === 'array' || schema.type === 'object' ? `an ${schema.type}` : `a ${schema.type}`}`;
  if (Array.isArray(schema.enum) && !schema.enum.includes(value as never)) return `${at} must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')} (got ${show(value)})`;
  if ('const' in schema && schema.const !== value) return `${at} must be ${JSON.stringify(schema.const)}`;
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) return schema.minLength === 1 ? `${at} must not be empty` : `${at} is shorter than ${schema.minLength} characters`;
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) return `${at} is longer than ${schema.maxLength} characters`;
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) return `${at} has an invalid format`;
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) return `${at} must be at least ${schema.minimum}`;
    if (typeof schema.maximum === 'number' && value > schema.maximum) return `${at} must be at most ${schema.maximum}`;
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) return `${at} needs at least ${schema.minItems} item(s)`;
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) return `${at} has more than ${schema.maxItems} items`;
    if (schema.uniqueItems === true && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) return `${at} has duplicate items`;
    if (schema.items) {
      for (let i = 0; i < value.length; i++) {
        const e = schemaError(schema.items as Schema, value[i], `${at}[${i}]`);
        if (e) return e;
      }
    }
  }
  if (typeOk(value, 'object')) {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required ?? []) as string[]) if (obj[key] === undefined) return `${at === 'body' ? '' : `${at}.`}${key} is required`;
    for (const [key, v] of Object.entries(obj)) {
      const where = at === 'body' ? key : `${at}.${key}`;
      if (props[key]) {
        if (v === undefined) continue;
        const e = schemaError(props[key]!, v, where);
        if (e) return e;
      } else if (schema.additionalProperties === false) {
        return `Unknown field ${where}`;
      }
    }
  }
  return undefined;
}

const KNOWN = new Set(['$schema', '$id', 'title', 'description', 'type', 'enum', 'const', 'required', 'properties', 'additionalProperties', 'items',
  'minItems', 'maxItems', 'uniqueItems', 'minLength', 'maxLength', 'minimum', 'maximum', 'pattern', 'oneOf']);

/** Keywords anywhere in a schema that `schemaError` would silently ignore (a unit test wants none). */
export function unsupportedKeywords(schema: Schema, at = '#'): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(schema)) {
    if (!KNOWN.has(k)) out.push(`${at}/${k}`);
    if (k === 'properties') for (const [name, sub] of Object.entries(v as Record<string, Schema>)) out.push(...unsupportedKeywords(sub, `${at}/properties/${name}`));
    if (k === 'items') out.push(...unsupportedKeywords(v as Schema, `${at}/items`));
    if (k === 'oneOf') (v as Schema[]).forEach((sub, i) => out.push(...unsupportedKeywords(sub, `${at}/oneOf/${i}`)));
  }
  return out;
}

/** Throws 400 with the first problem; the error names the field. */
export function validateFeedbackBody(body: unknown): void {
  const problem = schemaError(FEEDBACK_SCHEMA as unknown as Schema, body);
  if (problem) throw new HubError('BadRequest', `Invalid feedback: ${problem}`);
}
