/**
 * What every write script shares: calls to the hub's JSON API with the
 * session's CSRF token (a cookie-authenticated write without it gets 403),
 * the hub's error messages, and the status line under each form.
 */

/** The session's CSRF token, from the page's `<meta name="csrf-token">`. */
export function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? '';
}

/** An API answer that was not 2xx: the hub's message, status and `X-Error-Code`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | undefined,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** The hub's error text (JSON `error`, git-lfs's `message`, or `X-Error-Message`). */
export function errorText(status: number, body: unknown, header: string | null): string {
  if (typeof body === 'object' && body !== null) {
    const b = body as Record<string, unknown>;
    if (typeof b.error === 'string') return b.error;
    if (typeof b.message === 'string') return b.message;
  }
  return header || `The hub answered ${status}`;
}

export interface CallOptions {
  method?: string;
  /** sent as JSON */
  json?: unknown;
  /** sent as is (set its Content-Type in `headers`) */
  body?: string | Blob;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Is a URL on this site? Only then does it get the CSRF token. */
export function sameOrigin(url: string): boolean {
  return new URL(url, location.href).origin === location.origin;
}

/** Calls the API with the session cookie and the CSRF token; throws `ApiError` unless 2xx. */
export async function api<T = unknown>(url: string, opts: CallOptions = {}): Promise<T> {
  const headers = new Headers(opts.headers);
  if (!headers.has('Accept')) headers.set('Accept', 'application/json');
  const method = opts.method ?? (opts.json === undefined && opts.body === undefined ? 'GET' : 'POST');
  if (method !== 'GET' && method !== 'HEAD' && sameOrigin(url)) headers.set('X-CSRF-Token', csrfToken());
  let body = opts.body;
  if (opts.json !== undefined) {
    if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
    body = JSON.stringify(opts.json);
  }
  const res = await fetch(url, { method, headers, body, signal: opts.signal, credentials: 'same-origin' });
  const text = await res.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = text;
  }
  if (!res.ok) throw new ApiError(res.status, errorText(res.status, data, res.headers.get('X-Error-Message')), res.headers.get('X-Error-Code') ?? undefined, data);
  return data as T;
}

/** A revision or path in a URL: each '/'-separated part encoded, the slashes kept. */
export function pathSegments(s: string): string {
  return s.split('/').map(encodeURIComponent).join('/');
}

/** Writes a message under a form; `error` ones are styled and announced. */
export function showStatus(el: Element | null, message: string, kind: 'info' | 'ok' | 'error' = 'info'): void {
  if (!el) return;
  el.textContent = message;
  el.classList.toggle('error', kind === 'error');
  el.classList.toggle('ok', kind === 'ok');
  if (kind === 'error') el.setAttribute('role', 'alert');
  else el.setAttribute('role', 'status');
}

/** The status line of a form (or of any container). */
export function statusOf(root: ParentNode): HTMLElement | null {
  return root.querySelector<HTMLElement>('[data-status]');
}

/** The message for any error a call threw. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof DOMException && err.name === 'AbortError') return 'Cancelled';
  if (err instanceof TypeError) return 'The hub could not be reached. Check your connection and try again.';
  return err instanceof Error ? err.message : String(err);
}

/** Turns on a form whose fieldset waits for its script (see src/ui/forms.ts). */
export function enable(root: ParentNode): void {
  for (const f of root.querySelectorAll<HTMLFieldSetElement>('fieldset[data-needs-js]')) f.disabled = false;
  // `autofocus` does nothing on a control that was disabled at load: give it the focus now.
  const first = root.querySelector<HTMLElement>('[autofocus]');
  if (first && (document.activeElement === null || document.activeElement === document.body)) first.focus();
}

/**
 * Runs `fn` on submit with the form's button disabled, showing its error
 * under the form. `fn` may return a message to show on success.
 */
export function onSubmit(form: HTMLFormElement, fn: (form: HTMLFormElement) => Promise<string | void>): void {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = form.querySelector<HTMLButtonElement>('button[type=submit]');
    const status = statusOf(form);
    if (button) button.disabled = true;
    showStatus(status, 'Working…');
    try {
      const message = await fn(form);
      showStatus(status, message ?? '', 'ok');
    } catch (err) {
      showStatus(status, messageOf(err), 'error');
    } finally {
      if (button) button.disabled = false;
    }
  });
}

/** A named control's value in a form. */
export function field(form: HTMLFormElement, name: string): string {
  const el = form.elements.namedItem(name);
  if (el instanceof RadioNodeList) return el.value;
  if (el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement) return el.value;
  return '';
}

/** A same-site path to go to after signing in: never another host. */
export function safeNext(next: string | null | undefined): string {
  // Browsers drop tabs and newlines from URLs and read a backslash as '/': `/\t/evil` would become `//evil`.
  if (!next || !next.startsWith('/') || /^\/[\/\\]|[\x00-\x20\\]/.test(next)) return '/';
  return next;
}
