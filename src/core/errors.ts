/**
 * The one error vocabulary of the hub. Domain code throws `HubError`; only
 * `src/http/errors.ts` knows how a code becomes an HTTP status and headers.
 *
 * The first four codes are the ones the Hugging Face clients recognise in the
 * `X-Error-Code` header (see shared/spec/hf-hub-protocol.md section 1.4).
 */
export const ERROR_CODES = [
  'RepoNotFound',
  'RevisionNotFound',
  'EntryNotFound',
  'GatedRepo',
  'BadRequest',
  'InvalidCredentials',
  'Unauthorized',
  'Forbidden',
  'NotFound',
  'MethodNotAllowed',
  'Conflict',
  'PreconditionFailed',
  'PayloadTooLarge',
  'UnsupportedMediaType',
  'RangeNotSatisfiable',
  'UnprocessableEntity',
  'TooManyRequests',
  'QuotaExceeded',
  'NotImplemented',
  /** Another server the hub relies on (a mirror's upstream, a live arena endpoint) answered badly. */
  'BadGateway',
  /** That server could not be reached, or the hub is offline and does not hold the answer. */
  'UpstreamUnavailable',
  /** The hub is starting or shutting down and cannot take the request now. */
  'ServiceUnavailable',
  'Internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class HubError extends Error {
  readonly code: ErrorCode;
  /** Extra fields to merge into the JSON error body (e.g. `url` on a 409 from create). */
  readonly body: Record<string, unknown> | undefined;
  /** Extra response headers (e.g. `X-Repo-Commit` on EntryNotFound). */
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    extra?: { body?: Record<string, unknown>; headers?: Record<string, string> },
  ) {
    super(message);
    this.name = 'HubError';
    this.code = code;
    this.body = extra?.body;
    this.headers = extra?.headers;
  }
}

export const badRequest = (message: string): HubError => new HubError('BadRequest', message);

export function isHubError(err: unknown): err is HubError {
  return err instanceof HubError;
}
