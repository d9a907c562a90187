/**
 * The vocabulary of the model tree, without I/O: what a card's `base_model`
 * entries mean and how the relation to them is decided. Used by the indexer
 * (src/services/lineage-index.ts) and by migration 0008's backfill.
 */

export type LineageRelation = 'adapter' | 'finetune' | 'merge' | 'quantized';

export const RELATIONS: readonly LineageRelation[] = ['adapter', 'finetune', 'merge', 'quantized'];

/** A card may name many bases (merges); more than this is noise, not lineage. */
const MAX_BASES = 32;

export interface BaseRef {
  /** `namespace/name` (or a legacy single-segment id such as `gpt2`), as written */
  name: string;
  /** origin of another hub when the card gave a URL */
  hub: string | null;
  /** what children are looked up by: lower-cased, prefixed with the hub if any */
  key: string;
  /** the card's string, trimmed: used in the `base_model:…` tags, which the card's own tags also use */
  raw: string;
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;

/** Reads one `base_model` entry: a repo id, or a URL of a repo on some hub (kept as an external reference). */
export function parseBaseModel(value: string): BaseRef | undefined {
  const raw = value.trim();
  if (!raw || raw.length > 300) return undefined;
  if (/^https?:\/\//i.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return undefined;
    }
    // https://huggingface.co/org/name[/tree/main…]: the repo is the first two segments.
    const segs = url.pathname.split('/').filter(Boolean).slice(0, 2);
    let name: string;
    try {
      name = segs.map(decodeURIComponent).join('/');
    } catch {
      return undefined;
    }
    if (!ID_RE.test(name)) return undefined;
    return { name, hub: url.origin, key: `${url.origin}/${name.toLowerCase()}`, raw };
  }
  if (!ID_RE.test(raw)) return undefined;
  return { name: raw, hub: null, key: raw.toLowerCase(), raw };
}

const stringList = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/** The distinct, valid bases a card names, in order, without the repo itself. */
export function basesOf(cardData: Record<string, unknown> | undefined, selfKey: string): BaseRef[] {
  const seen = new Set<string>();
  const out: BaseRef[] = [];
  for (const v of stringList(cardData?.base_model)) {
    const b = parseBaseModel(v);
    if (!b || b.key === selfKey || seen.has(b.key)) continue;
    seen.add(b.key);
    out.push(b);
    if (out.length >= MAX_BASES) break;
  }
  return out;
}

export function isRelation(v: unknown): v is LineageRelation {
  return typeof v === 'string' && (RELATIONS as readonly string[]).includes(v);
}

/**
 * The relation of a model to its bases: the card's `base_model_relation`
 * when valid, else inferred from the files at the root of the head commit,
 * in this order: an adapter config means an adapter; a GGUF file or a
 * `quantization_config` in config.json means a quantization; several bases
 * mean a merge; anything else is a finetune.
 */
export async function inferRelation(declared: unknown, baseCount: number, rootFiles: string[], hasQuantizationConfig: () => Promise<boolean>): Promise<LineageRelation> {
  if (isRelation(declared)) return declared;
  if (rootFiles.includes('adapter_config.json')) return 'adapter';
  if (rootFiles.some((f) => f.toLowerCase().endsWith('.gguf'))) return 'quantized';
  if (await hasQuantizationConfig()) return 'quantized';
  return baseCount > 1 ? 'merge' : 'finetune';
}

/** The Hub's `base_model:{relation}:{id}` tags (the card's own tags already give `base_model:{id}`). */
export function relationTags(bases: BaseRef[], relation: LineageRelation): string[] {
  return bases.map((b) => `base_model:${relation}:${b.raw}`).filter((t) => t.length <= 200);
}
