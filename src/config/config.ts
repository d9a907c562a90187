import path from 'node:path';

/** Every setting of the hub, with its default, in one typed place. */
export interface Config {
  /** Folder for the SQLite file, git repositories, LFS objects and temp files. */
  dataDir: string;
  host: string;
  port: number;
  /** The URL clients use to reach the hub; derived from each request's Host header when unset. */
  publicUrl: string | undefined;
  /** `postgres://…` to use PostgreSQL; unset for SQLite in the data folder. */
  databaseUrl: string | undefined;
  /** Trust X-Forwarded-Proto/Host from a reverse proxy. */
  trustProxy: boolean;
  maxCommitLineBytes: number;
  maxJsonBodyBytes: number;
  lfsThresholdBytes: number;
  signedUrlTtlSeconds: number;
  /** Largest LFS object accepted, in bytes; 0 for no limit. */
  maxLfsObjectBytes: number;
  /** Worker threads that hash and write large uploads; 0 does it on the main thread. */
  uploadWorkers: number;
  /** Requests per rate-limit window for each token (or session); 0 disables. */
  rateLimitPerToken: number;
  /** Requests per rate-limit window for each anonymous client address; 0 disables. */
  rateLimitPerIp: number;
  rateLimitWindowSeconds: number;
  /** Login attempts per login window for one address and user name; 0 disables. */
  loginAttempts: number;
  loginWindowSeconds: number;
  /** Webhooks may target private, loopback and link-local addresses (see docs/webhooks.md). */
  webhooksAllowPrivateTargets: boolean;
  /** First webhook retry delay in ms; each further one doubles (with jitter). */
  webhookRetryBaseMs: number;
  webhookMaxAttempts: number;
  /** Per-attempt webhook request timeout in ms. */
  webhookTimeoutMs: number;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './data',
  maxCommitLineBytes: 32 * 1024 * 1024,
  maxJsonBodyBytes: 4 * 1024 * 1024,
  lfsThresholdBytes: 10 * 1024 * 1024,
  signedUrlTtlSeconds: 3600,
  maxLfsObjectBytes: 0,
  // Off: on 2 vCPUs the workers cost more CPU per GiB than they overlap (docs/benchmarks.md).
  uploadWorkers: 0,
  rateLimitPerToken: 6000,
  rateLimitPerIp: 1200,
  rateLimitWindowSeconds: 60,
  loginAttempts: 10,
  loginWindowSeconds: 15 * 60,
  webhookRetryBaseMs: 5000,
  webhookMaxAttempts: 8,
  webhookTimeoutMs: 10_000,
} as const;

function intFrom(name: string, raw: string | undefined, fallback: number, problems: string[], min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    problems.push(`${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
    return fallback;
  }
  return n;
}

/**
 * Builds the config from CLI flags, then environment variables, then
 * defaults. Lists every problem at once and throws, so that a bad start-up
 * says everything that is wrong.
 */
export function loadConfig(flags: Record<string, string | undefined>, env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const publicUrl = flags['public-url'] ?? env.ORCHARD_PUBLIC_URL;
  if (publicUrl !== undefined && !/^https?:\/\/[^/]+(\/.*)?$/.test(publicUrl)) problems.push(`public URL must be an http(s) URL, got ${JSON.stringify(publicUrl)}`);
  const config: Config = {
    dataDir: path.resolve(flags.data ?? env.ORCHARD_DATA ?? DEFAULTS.dataDir),
    host: flags.host ?? env.ORCHARD_HOST ?? DEFAULTS.host,
    port: intFrom('port', flags.port ?? env.PORT, DEFAULTS.port, problems, 0, 65535),
    publicUrl: publicUrl?.replace(/\/+$/, ''),
    databaseUrl: flags.database ?? env.ORCHARD_DATABASE_URL,
    trustProxy: (flags['trust-proxy'] ?? env.ORCHARD_TRUST_PROXY ?? '') === 'true' || flags['trust-proxy'] === '',
    maxCommitLineBytes: intFrom('ORCHARD_MAX_COMMIT_LINE_BYTES', env.ORCHARD_MAX_COMMIT_LINE_BYTES, DEFAULTS.maxCommitLineBytes, problems, 1024),
    maxJsonBodyBytes: intFrom('ORCHARD_MAX_JSON_BODY_BYTES', env.ORCHARD_MAX_JSON_BODY_BYTES, DEFAULTS.maxJsonBodyBytes, problems, 1024),
    lfsThresholdBytes: intFrom('ORCHARD_LFS_THRESHOLD_BYTES', env.ORCHARD_LFS_THRESHOLD_BYTES, DEFAULTS.lfsThresholdBytes, problems, 1),
    signedUrlTtlSeconds: intFrom('ORCHARD_SIGNED_URL_TTL', env.ORCHARD_SIGNED_URL_TTL, DEFAULTS.signedUrlTtlSeconds, problems, 10),
    maxLfsObjectBytes: intFrom('ORCHARD_MAX_LFS_OBJECT_BYTES', env.ORCHARD_MAX_LFS_OBJECT_BYTES, DEFAULTS.maxLfsObjectBytes, problems, 0),
    uploadWorkers: intFrom('ORCHARD_UPLOAD_WORKERS', env.ORCHARD_UPLOAD_WORKERS, DEFAULTS.uploadWorkers, problems, 0, 64),
    rateLimitPerToken: intFrom('ORCHARD_RATE_LIMIT_PER_TOKEN', env.ORCHARD_RATE_LIMIT_PER_TOKEN, DEFAULTS.rateLimitPerToken, problems, 0),
    rateLimitPerIp: intFrom('ORCHARD_RATE_LIMIT_PER_IP', env.ORCHARD_RATE_LIMIT_PER_IP, DEFAULTS.rateLimitPerIp, problems, 0),
    rateLimitWindowSeconds: intFrom('ORCHARD_RATE_LIMIT_WINDOW', env.ORCHARD_RATE_LIMIT_WINDOW, DEFAULTS.rateLimitWindowSeconds, problems, 1, 86_400),
    loginAttempts: intFrom('ORCHARD_LOGIN_ATTEMPTS', env.ORCHARD_LOGIN_ATTEMPTS, DEFAULTS.loginAttempts, problems, 0),
    loginWindowSeconds: intFrom('ORCHARD_LOGIN_WINDOW', env.ORCHARD_LOGIN_WINDOW, DEFAULTS.loginWindowSeconds, problems, 1, 86_400),
    webhooksAllowPrivateTargets: flags['webhooks-allow-private-targets'] !== undefined || /^(1|true)$/i.test(env.ORCHARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS ?? ''),
    webhookRetryBaseMs: intFrom('ORCHARD_WEBHOOK_RETRY_BASE_MS', env.ORCHARD_WEBHOOK_RETRY_BASE_MS, DEFAULTS.webhookRetryBaseMs, problems, 1, 3_600_000),
    webhookMaxAttempts: intFrom('ORCHARD_WEBHOOK_MAX_ATTEMPTS', env.ORCHARD_WEBHOOK_MAX_ATTEMPTS, DEFAULTS.webhookMaxAttempts, problems, 1, 50),
    webhookTimeoutMs: intFrom('ORCHARD_WEBHOOK_TIMEOUT_MS', env.ORCHARD_WEBHOOK_TIMEOUT_MS, DEFAULTS.webhookTimeoutMs, problems, 100, 300_000),
  };
  if (problems.length) throw new Error(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return config;
}
