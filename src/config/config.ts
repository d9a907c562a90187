import path from 'node:path';
import { type LogFormat, type LogLevel, parseLogLevel } from '../core/log.js';
import { type S3Config, s3ConfigFrom } from './s3-config.js';

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
  /** Where rate-limit buckets live: `database` (shared by every process) or `memory` (this process). */
  rateLimitStore: 'memory' | 'database';
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
  /** The pull-through cache (docs/mirror.md); undefined when this hub mirrors nothing. */
  mirror: MirrorConfig | undefined;
  /** S3-compatible object storage for LFS objects (docs/storage.md); undefined keeps them in the data folder. */
  s3: S3Config | undefined;
  /** Least severe log level written (docs/operations.md); `off` writes nothing. */
  logLevel: LogLevel;
  /** One JSON object per line, or text for people. */
  logFormat: LogFormat;
  /** A bearer token that may read `/metrics` (Prometheus' credential); undefined for none. */
  metricsToken: string | undefined;
  /** `/metrics` for everyone (the operator keeps it off the public network). */
  metricsPublic: boolean;
  /** How long requests in flight may take to finish on SIGTERM/SIGINT before they are cut. */
  shutdownGraceSeconds: number;
  /** How long to keep accepting connections after readiness fails on SIGTERM/SIGINT (for load balancers that probe `/readyz`). */
  shutdownDelaySeconds: number;
}

export interface MirrorConfig {
  /** Base URL of the upstream hub, without a trailing slash. */
  upstream: string;
  /** Sent to upstream only, never to clients. */
  upstreamToken: string | undefined;
  /** Serve only what is cached and never call upstream. */
  offline: boolean;
  /** A branch or tag is re-checked with upstream when its cached commit is older than this. */
  revalidateSeconds: number;
  /** Time allowed for upstream to answer (headers), and for a stalled body to move again. */
  upstreamTimeoutMs: number;
  /** Repo patterns (`org/*`, `org/name`, `datasets/org/*`); empty allows every repo not denied. */
  allow: string[];
  deny: string[];
  /** Cap of the cached file contents in bytes; 0 for no cap. */
  maxBytes: number;
  /** Also serve upstream repos that are private or gated to the upstream token (off: refused). */
  servePrivate: boolean;
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
  mirrorRevalidateSeconds: 300,
  mirrorUpstreamTimeoutMs: 15_000,
  logLevel: 'info',
  logFormat: 'json',
  shutdownGraceSeconds: 30,
  shutdownDelaySeconds: 0,
} as const;

/**
 * Several processes share a PostgreSQL database, so their limits must be shared too: the database
 * store is the default there. SQLite is one process: memory is enough and costs no write per request.
 */
function rateLimitStoreFrom(raw: string | undefined, databaseUrl: string | undefined, problems: string[]): 'memory' | 'database' {
  if (raw === 'memory' || raw === 'database') return raw;
  if (raw !== undefined && raw !== '') problems.push(`ORCHARD_RATE_LIMIT_STORE must be memory or database, got ${JSON.stringify(raw)}`);
  return databaseUrl && /^postgres(ql)?:\/\//.test(databaseUrl) ? 'database' : 'memory';
}

function listFrom(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** Size with an optional unit (`500G`, `1.5T`, `1048576`), or undefined when malformed. */
export function parseByteSize(raw: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?$/i.exec(raw.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? '').toLowerCase()[0] ?? '';
  const scale = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[unit] ?? 1;
  return Math.floor(Number(m[1]) * scale);
}

function mirrorFrom(flags: Record<string, string | undefined>, env: NodeJS.ProcessEnv, problems: string[]): MirrorConfig | undefined {
  const upstream = flags.upstream ?? env.ORCHARD_UPSTREAM_URL;
  if (upstream === undefined || upstream === '') {
    if (flags.offline !== undefined) problems.push('--offline needs --upstream (the hub whose cache it serves)');
    return undefined;
  }
  if (!/^https?:\/\/[^/]+(\/.*)?$/.test(upstream)) problems.push(`upstream must be an http(s) URL, got ${JSON.stringify(upstream)}`);
  const rawMax = env.ORCHARD_MIRROR_MAX_BYTES ?? '';
  const maxBytes = rawMax === '' ? 0 : parseByteSize(rawMax);
  if (maxBytes === undefined) problems.push(`ORCHARD_MIRROR_MAX_BYTES must be a size such as 500G or 1048576, got ${JSON.stringify(rawMax)}`);
  const patterns = (name: string, raw: string | undefined): string[] => {
    const list = listFrom(raw);
    for (const p of list) if (!/^((models|datasets|spaces)\/)?[\w.-]+\/([\w.-]+|\*)$/.test(p)) problems.push(`${name}: ${JSON.stringify(p)} is not a repo pattern (org/name, org/*, datasets/org/*)`);
    return list;
  };
  return {
    upstream: upstream.replace(/\/+$/, ''),
    upstreamToken: env.ORCHARD_UPSTREAM_TOKEN || undefined,
    offline: flags.offline !== undefined || /^(1|true)$/i.test(env.ORCHARD_OFFLINE ?? ''),
    revalidateSeconds: intFrom('ORCHARD_MIRROR_REVALIDATE_SECONDS', env.ORCHARD_MIRROR_REVALIDATE_SECONDS, DEFAULTS.mirrorRevalidateSeconds, problems, 0, 86_400 * 365),
    upstreamTimeoutMs: intFrom('ORCHARD_UPSTREAM_TIMEOUT_MS', env.ORCHARD_UPSTREAM_TIMEOUT_MS, DEFAULTS.mirrorUpstreamTimeoutMs, problems, 100, 600_000),
    allow: patterns('ORCHARD_MIRROR_ALLOW', env.ORCHARD_MIRROR_ALLOW),
    deny: patterns('ORCHARD_MIRROR_DENY', env.ORCHARD_MIRROR_DENY),
    maxBytes: maxBytes ?? 0,
    servePrivate: /^(1|true)$/i.test(env.ORCHARD_MIRROR_SERVE_PRIVATE ?? ''),
  };
}

type OperationsConfig = Pick<Config, 'logLevel' | 'logFormat' | 'metricsToken' | 'metricsPublic' | 'shutdownGraceSeconds' | 'shutdownDelaySeconds'>;

function operationsFrom(flags: Record<string, string | undefined>, env: NodeJS.ProcessEnv, problems: string[]): OperationsConfig {
  const rawLevel = env.ORCHARD_LOG_LEVEL || DEFAULTS.logLevel;
  const logLevel = parseLogLevel(rawLevel);
  if (!logLevel) problems.push(`ORCHARD_LOG_LEVEL must be one of debug, info, warn, error, off, got ${JSON.stringify(rawLevel)}`);
  const logFormat = (env.ORCHARD_LOG_FORMAT || DEFAULTS.logFormat).toLowerCase();
  if (logFormat !== 'json' && logFormat !== 'text') problems.push(`ORCHARD_LOG_FORMAT must be json or text, got ${JSON.stringify(env.ORCHARD_LOG_FORMAT)}`);
  const metricsToken = env.ORCHARD_METRICS_TOKEN || undefined;
  // It is compared, never looked up, so length is all that stands against guessing.
  if (metricsToken !== undefined && (metricsToken.length < 16 || !/^[\x21-\x7e]+$/.test(metricsToken))) problems.push('ORCHARD_METRICS_TOKEN must be at least 16 printable characters without spaces');
  return {
    logLevel: logLevel ?? DEFAULTS.logLevel,
    logFormat: logFormat === 'text' ? 'text' : 'json',
    metricsToken,
    metricsPublic: flags['metrics-public'] !== undefined || /^(1|true)$/i.test(env.ORCHARD_METRICS_PUBLIC ?? ''),
    shutdownGraceSeconds: intFrom('ORCHARD_SHUTDOWN_GRACE_SECONDS', env.ORCHARD_SHUTDOWN_GRACE_SECONDS, DEFAULTS.shutdownGraceSeconds, problems, 0, 86_400),
    shutdownDelaySeconds: intFrom('ORCHARD_SHUTDOWN_DELAY_SECONDS', env.ORCHARD_SHUTDOWN_DELAY_SECONDS, DEFAULTS.shutdownDelaySeconds, problems, 0, 3600),
  };
}

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
    rateLimitStore: rateLimitStoreFrom(env.ORCHARD_RATE_LIMIT_STORE, flags.database ?? env.ORCHARD_DATABASE_URL, problems),
    loginAttempts: intFrom('ORCHARD_LOGIN_ATTEMPTS', env.ORCHARD_LOGIN_ATTEMPTS, DEFAULTS.loginAttempts, problems, 0),
    loginWindowSeconds: intFrom('ORCHARD_LOGIN_WINDOW', env.ORCHARD_LOGIN_WINDOW, DEFAULTS.loginWindowSeconds, problems, 1, 86_400),
    webhooksAllowPrivateTargets: flags['webhooks-allow-private-targets'] !== undefined || /^(1|true)$/i.test(env.ORCHARD_WEBHOOKS_ALLOW_PRIVATE_TARGETS ?? ''),
    webhookRetryBaseMs: intFrom('ORCHARD_WEBHOOK_RETRY_BASE_MS', env.ORCHARD_WEBHOOK_RETRY_BASE_MS, DEFAULTS.webhookRetryBaseMs, problems, 1, 3_600_000),
    webhookMaxAttempts: intFrom('ORCHARD_WEBHOOK_MAX_ATTEMPTS', env.ORCHARD_WEBHOOK_MAX_ATTEMPTS, DEFAULTS.webhookMaxAttempts, problems, 1, 50),
    webhookTimeoutMs: intFrom('ORCHARD_WEBHOOK_TIMEOUT_MS', env.ORCHARD_WEBHOOK_TIMEOUT_MS, DEFAULTS.webhookTimeoutMs, problems, 100, 300_000),
    mirror: mirrorFrom(flags, env, problems),
    s3: s3ConfigFrom(env, problems),
    ...operationsFrom(flags, env, problems),
  };
  if (problems.length) throw new Error(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return config;
}
