import { type RepoType, typePrefix } from '../core/repo-id.js';
import type { RepoRow } from '../services/repos.js';
import type { IndexedEntry } from '../services/tree-index.js';

/** Wire types are named after huggingface.js's `src/types/api/*` so that a reviewer can diff them. */
export interface ApiIndexTreeEntry {
  type: 'file' | 'directory' | 'unknown';
  oid: string;
  size: number;
  path: string;
  lfs?: { oid: string; size: number; pointerSize: number };
  lastCommit?: { id: string; title: string; date: string };
}

export function treeEntry(e: IndexedEntry, lastCommit?: { id: string; title: string; date: string }): ApiIndexTreeEntry {
  const type = e.kind === 'blob' ? 'file' : e.kind === 'tree' ? 'directory' : 'unknown';
  return {
    type,
    oid: e.oid,
    size: e.size,
    path: e.path,
    ...(e.lfs ? { lfs: e.lfs } : {}),
    ...(lastCommit ? { lastCommit } : {}),
  };
}

export function repoUrl(baseUrl: string, row: { type: RepoType; namespace: string; name: string }): string {
  return `${baseUrl}/${typePrefix(row.type)}${row.namespace}/${row.name}`;
}

export interface SiblingInfo {
  rfilename: string;
  size?: number;
  blobId?: string;
  lfs?: { sha256: string; size: number; pointerSize: number };
}

/** Repo info (spec 3.2) for models, datasets and spaces. */
export function repoInfo(
  row: RepoRow,
  opts: { sha: string | undefined; siblings?: SiblingInfo[]; tags: string[]; usedStorage?: number },
): Record<string, unknown> {
  const cardData = row.card_data ? (JSON.parse(row.card_data) as Record<string, unknown>) : undefined;
  const info: Record<string, unknown> = {
    _id: row.id,
    id: `${row.namespace}/${row.name}`,
    author: row.namespace,
    sha: opts.sha,
    lastModified: row.last_modified,
    createdAt: row.created_at,
    private: row.private === 1,
    gated: row.gated ?? false,
    disabled: row.disabled === 1,
    // The last 30 days, all time, and the decayed recent activity (docs/social.md); the Hub's trendingScore is an integer.
    downloads: row.downloads,
    downloadsAllTime: row.downloads_all_time,
    likes: row.likes,
    trendingScore: Math.round(row.trending_score),
    tags: opts.tags,
  };
  if (cardData) info.cardData = cardData;
  if (opts.siblings) info.siblings = opts.siblings;
  if (opts.usedStorage !== undefined) info.usedStorage = opts.usedStorage;
  if (row.type === 'model') {
    if (row.pipeline_tag) info.pipeline_tag = row.pipeline_tag;
    if (row.library_name) info.library_name = row.library_name;
    if (cardData && Array.isArray(cardData['model-index'])) info['model-index'] = cardData['model-index'];
    info.spaces = [];
  } else if (row.type === 'dataset') {
    info.description = typeof cardData?.pretty_name === 'string' ? cardData.pretty_name : '';
    info.citation = '';
  } else {
    info.sdk = typeof cardData?.sdk === 'string' ? cardData.sdk : 'static';
    info.runtime = { stage: 'NO_APP_FILE', hardware: { current: null, requested: null } };
    info.models = [];
    info.datasets = [];
  }
  return info;
}

/** Keeps only the fields named by `expand` (plus `_id` and `id`), as the Hub does. */
export function applyExpand(info: Record<string, unknown>, expand: string[]): Record<string, unknown> {
  if (expand.length === 0) return info;
  const out: Record<string, unknown> = { _id: info._id, id: info.id };
  for (const key of expand) if (key in info) out[key] = info[key];
  return out;
}
