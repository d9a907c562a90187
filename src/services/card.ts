import { parse as parseYaml, YAMLParseError } from 'yaml';
import { HubError } from '../core/errors.js';
import type { RepoType } from '../core/repo-id.js';

export interface CardMetadata {
  cardData: Record<string, unknown> | undefined;
  tags: string[];
  pipelineTag: string | undefined;
  libraryName: string | undefined;
}

const FRONT_MATTER_RE = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

/** The YAML text between the leading `---` lines of a card, if any. */
export function frontMatter(readme: string): string | undefined {
  const m = FRONT_MATTER_RE.exec(readme);
  return m ? m[1] : readme.startsWith('---\n---') ? '' : undefined;
}

/**
 * Parses card metadata. Throws BadRequest with every problem when `strict`
 * (validate-yaml); otherwise returns what it can.
 */
export function parseCardMetadata(readme: string, type: RepoType, strict = false): CardMetadata {
  const empty: CardMetadata = { cardData: undefined, tags: [], pipelineTag: undefined, libraryName: undefined };
  const yamlText = frontMatter(readme);
  if (yamlText === undefined) return empty;
  let data: unknown;
  try {
    data = yamlText.trim() === '' ? {} : parseYaml(yamlText, { maxAliasCount: 100 });
  } catch (err) {
    if (!strict) return empty;
    const msg = err instanceof YAMLParseError ? err.message : String(err);
    throw new HubError('BadRequest', `Invalid YAML in README.md metadata: ${msg}`);
  }
  if (data === null || data === undefined) data = {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    if (strict) throw new HubError('BadRequest', 'README.md metadata must be a YAML mapping');
    return empty;
  }
  const card = data as Record<string, unknown>;
  const problems = validateCard(card);
  if (strict && problems.length) throw new HubError('BadRequest', problems.join('; '), { body: { errors: problems.map((message) => ({ message })) } });
  return { cardData: card, ...deriveTags(card, type) };
}

const stringList = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

function validateCard(card: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const listish = ['tags', 'language', 'datasets', 'base_model', 'license', 'metrics', 'task_categories', 'size_categories'];
  for (const key of listish) {
    const v = card[key];
    if (v === undefined || v === null) continue;
    const ok = typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
    if (!ok) problems.push(`"${key}" must be a string or a list of strings`);
  }
  for (const key of ['pipeline_tag', 'library_name', 'license_name', 'license_link', 'pretty_name']) {
    const v = card[key];
    if (v !== undefined && v !== null && typeof v !== 'string') problems.push(`"${key}" must be a string`);
  }
  const mi = card['model-index'];
  if (mi !== undefined && mi !== null) {
    if (!Array.isArray(mi)) problems.push('"model-index" must be a list');
    else
      mi.forEach((m: unknown, i) => {
        if (typeof m !== 'object' || m === null || typeof (m as Record<string, unknown>).name !== 'string') {
          problems.push(`"model-index[${i}].name" is required`);
        } else if (!Array.isArray((m as Record<string, unknown>).results)) {
          problems.push(`"model-index[${i}].results" must be a list`);
        }
      });
  }
  return problems;
}

/** Hub-computed tags from card metadata (spec 3.2, 4.1). */
function deriveTags(card: Record<string, unknown>, type: RepoType): Omit<CardMetadata, 'cardData'> {
  const tags = new Set<string>();
  for (const t of stringList(card.tags)) tags.add(t);
  const libraryName = typeof card.library_name === 'string' ? card.library_name : undefined;
  const pipelineTag = typeof card.pipeline_tag === 'string' ? card.pipeline_tag : undefined;
  if (libraryName) tags.add(libraryName);
  if (pipelineTag) tags.add(pipelineTag);
  for (const l of stringList(card.license)) tags.add(`license:${l}`);
  for (const lang of stringList(card.language)) tags.add(type === 'model' ? lang : `language:${lang}`);
  if (type === 'model') {
    for (const d of stringList(card.datasets)) tags.add(`dataset:${d}`);
    for (const b of stringList(card.base_model)) tags.add(`base_model:${b}`);
  } else if (type === 'dataset') {
    for (const key of ['task_categories', 'task_ids', 'size_categories', 'multilinguality', 'language_creators']) {
      for (const v of stringList(card[key])) tags.add(`${key}:${v}`);
    }
  } else {
    const sdk = card.sdk;
    if (typeof sdk === 'string') tags.add(sdk);
  }
  return { tags: [...tags].filter((t) => t.length > 0 && t.length <= 200), pipelineTag, libraryName };
}
