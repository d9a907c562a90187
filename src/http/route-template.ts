/**
 * The route template of a request (`resolve`, `api.tree`, `git.upload-pack`,
 * `ui.page`, …): the label of metrics and request logs. Never the raw path,
 * whose repo names and file paths would make one time series per file.
 *
 * It follows the dispatcher's URL space (`app.ts`) from the method and the
 * still-encoded path alone, so that the dispatcher needs no change to be
 * measured; a URL the dispatcher would not route gets `unmatched` (or
 * `api.unmatched`). Every value comes from the fixed list below, which
 * bounds the label's cardinality whatever clients send.
 */
export const ROUTE_TEMPLATES = [
  'healthz', 'readyz', 'metrics', 'internal.hook', 'ui.static', 'ui.page', 'unmatched',
  'resolve', 'raw',
  'git.info-refs', 'git.upload-pack', 'git.receive-pack', 'git.head',
  'lfs.batch', 'lfs.upload', 'lfs.download', 'lfs.verify', 'lfs.locks', 'lfs.unmatched',
  'api.whoami', 'api.validate-yaml', 'api.orgs', 'api.tokens', 'api.audit', 'api.account', 'api.webhooks',
  'api.collections', 'api.leaderboards', 'api.arena', 'api.likes', 'api.admin',
  'api.repos.create', 'api.repos.delete', 'api.repos.move', 'api.list',
  'api.repo.info', 'api.tree', 'api.commits', 'api.paths-info', 'api.refs', 'api.preupload', 'api.commit',
  'api.branch', 'api.tag', 'api.repo.settings', 'api.discussions', 'api.social', 'api.model-tree', 'api.evals',
  'api.feedback', 'api.access-request', 'api.auth-check', 'api.xet', 'api.unmatched',
] as const;

export type RouteTemplate = (typeof ROUTE_TEMPLATES)[number];

/** First segments the dispatcher sends to web pages whatever follows (account pages and repo pages fall through to `ui.page` below). */
const UI_SECTIONS = new Set(['leaderboards', 'arena', 'collections', 'settings']);

const REPO_API: Record<string, RouteTemplate> = {
  revision: 'api.repo.info', tree: 'api.tree', commits: 'api.commits', 'paths-info': 'api.paths-info', refs: 'api.refs',
  preupload: 'api.preupload', commit: 'api.commit', branch: 'api.branch', tag: 'api.tag', settings: 'api.repo.settings',
  discussions: 'api.discussions', like: 'api.social', likers: 'api.social', downloads: 'api.social',
  'model-tree': 'api.model-tree', evals: 'api.evals', feedback: 'api.feedback', 'user-access-request': 'api.access-request',
  'auth-check': 'api.auth-check', 'xet-write-token': 'api.xet', 'xet-read-token': 'api.xet',
};

const GIT: Record<string, RouteTemplate> = {
  'info/refs': 'git.info-refs', 'git-upload-pack': 'git.upload-pack', 'git-receive-pack': 'git.receive-pack', HEAD: 'git.head',
};

export function routeTemplate(method: string, rawPath: string): RouteTemplate {
  const segs = rawPath.split('/').slice(1);
  const [first] = segs;
  if (segs.length === 1 && (first === 'healthz' || first === 'readyz' || first === 'metrics')) return first;
  if (first === 'api') return apiTemplate(segs.slice(1));
  if (first === 'internal') return 'internal.hook';
  if (first === 'static') return 'ui.static';
  if (segs.length === 1 || UI_SECTIONS.has(first!)) return 'ui.page';
  return repoTemplate(method, segs);
}

function apiTemplate(segs: string[]): RouteTemplate {
  const [first, second] = segs;
  switch (first) {
    case 'whoami-v2': return 'api.whoami';
    case 'validate-yaml': return 'api.validate-yaml';
    case 'organizations': return 'api.orgs';
    case 'audit': return 'api.audit';
    case 'login': case 'logout': case 'session': case 'signup': return 'api.account';
    case 'collections': return 'api.collections';
    case 'leaderboards': return 'api.leaderboards';
    case 'arena': return 'api.arena';
    case 'admin': return 'api.admin';
    case 'users': return segs[2] === 'likes' ? 'api.likes' : 'api.unmatched';
    case 'settings':
      if (second === 'tokens') return 'api.tokens';
      if (second === 'webhooks') return 'api.webhooks';
      return second === 'password' ? 'api.account' : 'api.unmatched';
    case 'repos':
      if (second === 'create') return 'api.repos.create';
      if (second === 'delete') return 'api.repos.delete';
      return second === 'move' ? 'api.repos.move' : 'api.unmatched';
    case 'models': case 'datasets': case 'spaces':
      if (segs.length === 1) return 'api.list';
      if (segs.length < 3) return 'api.unmatched';
      return segs[3] === undefined ? 'api.repo.info' : (REPO_API[segs[3]] ?? 'api.unmatched');
    default:
      return 'api.unmatched';
  }
}

/** `/{P}{ns}/{name}[.git]/…` */
function repoTemplate(method: string, segs: string[]): RouteTemplate {
  if (segs[0] === 'datasets' || segs[0] === 'spaces') segs = segs.slice(1);
  if (segs.length < 2) return 'unmatched';
  const dotGit = segs[1]!.endsWith('.git');
  const rest = segs.slice(2);
  const action = rest[0];
  if (!dotGit && (action === 'resolve' || action === 'raw')) return action;
  const restPath = rest.join('/');
  if (restPath.startsWith('info/lfs/')) return lfsTemplate(method, restPath.slice('info/lfs/'.length));
  const git = GIT[restPath];
  if (git) return git;
  return dotGit ? 'unmatched' : 'ui.page';
}

function lfsTemplate(method: string, rest: string): RouteTemplate {
  if (rest === 'objects/batch') return 'lfs.batch';
  if (rest === 'verify') return 'lfs.verify';
  if (rest.startsWith('locks')) return 'lfs.locks';
  if (/^objects\/[0-9a-f]{64}$/.test(rest)) return method === 'PUT' ? 'lfs.upload' : 'lfs.download';
  return 'lfs.unmatched';
}

/** Upload routes, by the kind their failures are counted under (`orchard_upload_failures_total`). */
export const UPLOAD_KINDS: Partial<Record<RouteTemplate, string>> = {
  'api.commit': 'commit',
  'api.preupload': 'commit',
  'lfs.upload': 'lfs',
  'lfs.verify': 'lfs',
  'git.receive-pack': 'push',
};

/** Methods as a bounded label: anything unusual is `OTHER`. */
export function methodLabel(method: string): string {
  return ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].includes(method) ? method : 'OTHER';
}
