import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { HubError } from '../core/errors.js';
import { makeRepoRef, REPO_TYPES } from '../core/repo-id.js';
import { SHA1_RE, SHA256_RE, validateRefName } from '../core/revision.js';
import { BUNDLE_FORMAT, BUNDLE_VERSION, hashFile, type Manifest, type RepoJson, sha256Of } from './bundle-format.js';
import { isSafeBundlePath } from './bundle-tar.js';

const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
const MAX_REPO_JSON_BYTES = 64 * 1024 * 1024;

function refused(message: string): HubError {
  return new HubError('UnprocessableEntity', `This bundle is refused: ${message}`);
}

export interface VerifiedRepo {
  /** `repos/<i>` */
  dir: string;
  meta: RepoJson;
}

export interface VerifiedBundle {
  manifest: Manifest;
  manifestSha256: string;
  repos: VerifiedRepo[];
}

/**
 * Checks an extracted bundle before anything of it is used: the manifest's
 * own sha256 (when the caller has it from out of band), that the files are
 * exactly those the manifest lists (none missing, none extra), that each has
 * the listed size and sha256, that every LFS object's sha256 is its name,
 * and that each repo.json is well-formed and lists only LFS objects the
 * bundle holds. Any failure refuses the whole bundle.
 */
export async function verifyBundle(dir: string, extracted: string[], expectSha256?: string): Promise<VerifiedBundle> {
  if (!extracted.includes('manifest.json')) throw refused('it has no manifest.json');
  const manifestPath = path.join(dir, 'manifest.json');
  if ((await stat(manifestPath)).size > MAX_MANIFEST_BYTES) throw refused('its manifest.json is too large');
  const raw = await readFile(manifestPath);
  const manifestSha256 = sha256Of(raw);
  if (expectSha256 !== undefined && expectSha256.toLowerCase() !== manifestSha256) {
    throw refused(`its manifest's sha256 is ${manifestSha256}, not the ${expectSha256} expected`);
  }
  const manifest = parseManifest(raw);
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  const present = new Set(extracted.filter((p) => p !== 'manifest.json'));
  const missing = [...listed.keys()].filter((p) => !present.has(p));
  if (missing.length) throw refused(`files listed in its manifest are missing: ${missing.slice(0, 5).join(', ')}`);
  const extra = [...present].filter((p) => !listed.has(p));
  if (extra.length) throw refused(`it has files its manifest does not list: ${extra.slice(0, 5).join(', ')}`);
  for (const f of manifest.files) {
    if (f.path.startsWith('lfs/') && f.path !== `lfs/${f.sha256}`) throw refused(`${f.path} is listed with the sha256 ${f.sha256}, not its name`);
    const actual = await hashFile(path.join(dir, f.path));
    if (actual.size !== f.size) throw refused(`${f.path} has ${actual.size} bytes, its manifest says ${f.size}`);
    if (actual.sha256 !== f.sha256) throw refused(`${f.path} does not match its sha256 in the manifest (corrupt or changed)`);
  }
  const repos: VerifiedRepo[] = [];
  for (const repoDir of manifest.repos) {
    for (const name of ['repo.json', 'repo.bundle']) if (!listed.has(`${repoDir}/${name}`)) throw refused(`${repoDir} has no ${name}`);
    const metaPath = path.join(dir, repoDir, 'repo.json');
    if ((await stat(metaPath)).size > MAX_REPO_JSON_BYTES) throw refused(`${repoDir}/repo.json is too large`);
    const meta = parseRepoJson(await readFile(metaPath), repoDir);
    for (const o of meta.lfs) {
      const f = listed.get(`lfs/${o.oid}`);
      if (!f || f.size !== o.size) throw refused(`${repoDir} needs LFS object ${o.oid} (${o.size} bytes), which the bundle does not hold`);
    }
    repos.push({ dir: repoDir, meta });
  }
  if (repos.length === 0) throw refused('it holds no repo');
  return { manifest, manifestSha256, repos };
}

function parseJson(raw: Buffer, what: string): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw refused(`${what} is not valid JSON`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function parseManifest(raw: Buffer): Manifest {
  const m = parseJson(raw, 'manifest.json');
  if (!isObject(m) || m.format !== BUNDLE_FORMAT) throw refused('manifest.json is not an Orchard bundle manifest');
  if (m.version !== BUNDLE_VERSION) throw refused(`it is format version ${String(m.version)}; this hub reads version ${BUNDLE_VERSION}`);
  if (!Array.isArray(m.files) || !Array.isArray(m.repos)) throw refused('manifest.json lacks its files or repos');
  const seen = new Set<string>();
  for (const f of m.files as unknown[]) {
    if (!isObject(f) || typeof f.path !== 'string' || !isSafeBundlePath(f.path) || f.path === 'manifest.json' || !isSize(f.size) || typeof f.sha256 !== 'string' || !SHA256_RE.test(f.sha256)) {
      throw refused(`manifest.json has an invalid file entry ${JSON.stringify(f).slice(0, 200)}`);
    }
    if (seen.has(f.path)) throw refused(`manifest.json lists ${f.path} twice`);
    seen.add(f.path);
  }
  for (const r of m.repos as unknown[]) if (typeof r !== 'string' || !/^repos\/\d{1,6}$/.test(r)) throw refused(`manifest.json names an invalid repo folder ${JSON.stringify(r)}`);
  if (new Set(m.repos as string[]).size !== (m.repos as string[]).length) throw refused('manifest.json names a repo folder twice');
  return m as unknown as Manifest;
}

function parseRepoJson(raw: Buffer, dir: string): RepoJson {
  const j = parseJson(raw, `${dir}/repo.json`);
  const bad = (what: string): never => {
    throw refused(`${dir}/repo.json has an invalid ${what}`);
  };
  if (!isObject(j)) return bad('content');
  if (!(REPO_TYPES as readonly unknown[]).includes(j.type)) bad('type');
  try {
    makeRepoRef(j.type as 'model', j.namespace, j.name);
    validateRefName(j.defaultBranch, 'branch');
  } catch (err) {
    throw refused(`${dir}/repo.json: ${(err as Error).message}`);
  }
  if (typeof j.private !== 'boolean') bad('private flag');
  if (j.gated !== null && j.gated !== 'auto' && j.gated !== 'manual') bad('gated value');
  if (!isObject(j.refs)) bad('refs');
  for (const [name, oid] of Object.entries(j.refs as Record<string, unknown>)) {
    if (!/^refs\/(heads|tags)\/[^\s~^:?*[\\]+$/.test(name) || name.includes('..') || typeof oid !== 'string' || !SHA1_RE.test(oid)) bad(`ref ${name}`);
  }
  if (!Array.isArray(j.lfs) || !(j.lfs as unknown[]).every((o) => isObject(o) && typeof o.oid === 'string' && SHA256_RE.test(o.oid) && isSize(o.size))) bad('LFS list');
  return {
    ...(j as unknown as RepoJson),
    createdAt: typeof j.createdAt === 'string' ? j.createdAt : new Date().toISOString(),
    source: isObject(j.source) ? (j.source as unknown as RepoJson['source']) : { hub: null, repo: `${String(j.namespace)}/${String(j.name)}`, id: '', mirrorOf: null, origin: null },
  };
}
