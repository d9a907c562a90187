import type { S3Settings } from '../storage/s3-blob-store.js';

/** S3-compatible object storage for LFS objects (docs/storage.md): the store's own settings, read from the environment here. */
export type S3Config = S3Settings;

export const S3_DEFAULTS = { prefix: 'lfs/', region: 'us-east-1' } as const;

/** S3's bucket naming rules (3–63 characters, lower case, digits, dots and hyphens). */
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function boolFrom(name: string, raw: string | undefined, fallback: boolean, problems: string[]): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  problems.push(`${name} must be true or false, got ${JSON.stringify(raw)}`);
  return fallback;
}

/**
 * The S3 settings from `ORCHARD_S3_*`, or undefined when no bucket is named
 * (LFS objects then stay in the data folder). Adds every problem to `problems`.
 */
export function s3ConfigFrom(env: NodeJS.ProcessEnv, problems: string[]): S3Config | undefined {
  const bucket = env.ORCHARD_S3_BUCKET ?? '';
  if (bucket === '') {
    const stray = Object.keys(env).filter((k) => k.startsWith('ORCHARD_S3_') && env[k] !== '');
    if (stray.length) problems.push(`${stray.sort().join(', ')} set, but ORCHARD_S3_BUCKET is not: name the bucket to store LFS objects in S3`);
    return undefined;
  }
  if (!BUCKET_RE.test(bucket)) problems.push(`ORCHARD_S3_BUCKET must be an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens), got ${JSON.stringify(bucket)}`);
  const endpoint = env.ORCHARD_S3_ENDPOINT || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/]+\/?$/.test(endpoint)) problems.push(`ORCHARD_S3_ENDPOINT must be an http(s) URL without a path, got ${JSON.stringify(endpoint)}`);
  // AWS needs the bucket's region; S3-compatible servers mostly ignore it, and us-east-1 is what they expect.
  const region = env.ORCHARD_S3_REGION || env.AWS_REGION || (endpoint ? S3_DEFAULTS.region : undefined);
  if (!region) problems.push('ORCHARD_S3_REGION (or AWS_REGION) must name the bucket\'s region when no ORCHARD_S3_ENDPOINT is set');
  const accessKeyId = env.ORCHARD_S3_ACCESS_KEY_ID || undefined;
  const secretAccessKey = env.ORCHARD_S3_SECRET_ACCESS_KEY || undefined;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    problems.push('ORCHARD_S3_ACCESS_KEY_ID and ORCHARD_S3_SECRET_ACCESS_KEY go together (or neither, for the AWS SDK\'s default credentials)');
  }
  let prefix = (env.ORCHARD_S3_PREFIX ?? S3_DEFAULTS.prefix).replace(/^\/+/, '');
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  if (/[\x00-\x1f\x7f\\]|(^|\/)\.\.?\//.test(prefix)) problems.push(`ORCHARD_S3_PREFIX must be a plain key prefix such as "lfs/", got ${JSON.stringify(env.ORCHARD_S3_PREFIX)}`);
  return {
    endpoint: endpoint?.replace(/\/$/, ''),
    bucket,
    region: region ?? S3_DEFAULTS.region,
    accessKeyId,
    secretAccessKey,
    prefix,
    // Virtual-hosted names (bucket.host) need DNS that self-hosted servers rarely have.
    forcePathStyle: boolFrom('ORCHARD_S3_FORCE_PATH_STYLE', env.ORCHARD_S3_FORCE_PATH_STYLE, endpoint !== undefined, problems),
    presign: boolFrom('ORCHARD_S3_PRESIGN', env.ORCHARD_S3_PRESIGN, true, problems),
  };
}
