import { HubError } from '../core/errors.js';

/**
 * The access form of a gated repo, read from the card's `extra_gated_fields`
 * (the Hub's format: a mapping of label → type, where a type is a word or
 * `{type: select, options: [...]}`, an option being a string or
 * `{label, value}`). See https://huggingface.co/docs/hub/models-gated.
 */
export type GateFieldType = 'text' | 'checkbox' | 'country' | 'date_picker' | 'select';

export interface GateField {
  label: string;
  type: GateFieldType;
  /** accepted values of a `select` */
  options?: string[];
}

const KNOWN: ReadonlySet<string> = new Set(['text', 'checkbox', 'country', 'date_picker', 'select']);
const MAX_TEXT = 1000;

/**
 * The fields a requester fills in. A card is written by people, so this is
 * lenient: an unknown type is a text field, a malformed entry is skipped,
 * and `ip_location` (which the Hub fills itself from the requester's
 * address) is left out: this hub has no IP geolocation.
 */
export function gateFields(cardData: Record<string, unknown> | undefined): GateField[] {
  const raw = cardData?.extra_gated_fields;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [];
  const out: GateField[] = [];
  for (const [label, spec] of Object.entries(raw as Record<string, unknown>)) {
    const type = typeof spec === 'string' ? spec : typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>).type : undefined;
    if (type === 'ip_location') continue;
    if (type === 'select') {
      const options = selectOptions((spec as Record<string, unknown>).options);
      if (options.length) out.push({ label, type: 'select', options });
      continue;
    }
    out.push({ label, type: typeof type === 'string' && KNOWN.has(type) ? (type as GateFieldType) : 'text' });
  }
  return out;
}

function selectOptions(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((o: unknown) => {
    if (typeof o === 'string' || typeof o === 'number') return [String(o)];
    if (typeof o === 'object' && o !== null) {
      const { value, label } = o as Record<string, unknown>;
      const v = value ?? label;
      if (typeof v === 'string' || typeof v === 'number') return [String(v)];
    }
    return [];
  });
}

/**
 * Checks a requester's answers against the form: every field is required
 * (as on the Hub), a checkbox must be ticked, a date is `YYYY-MM-DD`, a
 * select's value is one of its options, and no field outside the form is
 * accepted. Returns the answers to store; throws BadRequest listing every problem.
 */
export function validateGateAnswers(form: GateField[], given: unknown): Record<string, unknown> {
  if (given === undefined || given === null) given = {};
  if (typeof given !== 'object' || Array.isArray(given)) throw new HubError('BadRequest', '"fields" must be an object mapping each form label to its answer');
  const answers = given as Record<string, unknown>;
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  const labels = new Set(form.map((f) => f.label));
  for (const key of Object.keys(answers)) if (!labels.has(key)) problems.push(`${JSON.stringify(key)} is not a field of this form`);
  for (const field of form) {
    const v = answers[field.label];
    const name = JSON.stringify(field.label);
    if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) {
      problems.push(`${name} is required`);
      continue;
    }
    switch (field.type) {
      case 'checkbox':
        if (v !== true) problems.push(`${name} must be checked (true)`);
        else out[field.label] = true;
        break;
      case 'date_picker':
        if (typeof v !== 'string' || !isIsoDate(v)) problems.push(`${name} must be a date YYYY-MM-DD`);
        else out[field.label] = v;
        break;
      case 'select':
        if (typeof v !== 'string' || !field.options!.includes(v)) problems.push(`${name} must be one of ${field.options!.map((o) => JSON.stringify(o)).join(', ')}`);
        else out[field.label] = v;
        break;
      default:
        if (typeof v !== 'string') problems.push(`${name} must be a string`);
        else if (v.length > MAX_TEXT) problems.push(`${name} is longer than ${MAX_TEXT} characters`);
        else out[field.label] = v.trim();
    }
  }
  if (problems.length) {
    throw new HubError('BadRequest', `Invalid access request: ${problems.join('; ')}`, { body: { errors: problems.map((message) => ({ message })) } });
  }
  return out;
}

function isIsoDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
}
