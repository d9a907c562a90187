/**
 * One upload, as the HF clients make it (docs/api.md): `preupload` says
 * which files go through LFS; those are hashed in the browser, announced to
 * the LFS batch API, PUT to the signed hrefs (XMLHttpRequest, for upload
 * progress) and verified; then one NDJSON commit names them (`lfsFile`)
 * beside the small files (`file`, base64). `cancel()` aborts whatever is in
 * flight, and the commit is only sent once everything else succeeded.
 */
import { api, ApiError, csrfToken, errorText, sameOrigin } from './api.js';
import { sha256Blob } from './lfs-hash.js';
import type { Picked } from './pick-files.js';

/** A file to commit, and how far its bytes got. */
export interface Item extends Picked {
  path: string;
  mode: 'lfs' | 'regular';
  oid?: string;
  /** bytes of this file sent so far */
  sent: number;
  cell?: HTMLElement;
}

interface BatchObject {
  oid: string;
  size: number;
  actions?: { upload?: { href: string; header?: Record<string, string> }; verify?: { href: string; header?: Record<string, string> } };
  error?: { code: number; message: string };
}

const LFS_JSON = 'application/vnd.git-lfs+json';

function base64OfBytes(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The whole file as base64, read natively (a data: URL) rather than byte by byte. */
function base64OfFile(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      const comma = url.indexOf(',');
      resolve(comma < 0 ? '' : url.slice(comma + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error('Could not read the file'));
    reader.readAsDataURL(file);
  });
}

function aborted(): DOMException {
  return new DOMException('Cancelled', 'AbortError');
}

/** One upload of a list of files to a branch; `run` resolves with the commit. */
export class Upload {
  private readonly controller = new AbortController();
  private readonly xhrs = new Set<XMLHttpRequest>();
  /** once the commit body is fully sent, cancelling could no longer promise "nothing committed" */
  committing = false;

  constructor(
    private readonly form: HTMLFormElement,
    private readonly items: Item[],
    private readonly onProgress: () => void,
    private readonly onPhase: (text: string) => void,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  cancel(): void {
    this.controller.abort();
    for (const xhr of this.xhrs) xhr.abort();
  }

  async run(summary: string, description: string): Promise<{ commitOid: string; commitUrl?: string }> {
    const d = this.form.dataset;
    const rev = encodeURIComponent(d.branch!);
    this.onPhase('Checking which files go through LFS…');
    await this.preupload(`${d.api}/preupload/${rev}`);
    const lfs = this.items.filter((i) => i.mode === 'lfs');
    for (const item of lfs) {
      this.mark(item, 'hashing…');
      item.oid = await sha256Blob(item.file, {
        signal: this.signal,
        onProgress: (n) => this.onPhase(`Hashing ${item.path}: ${Math.floor((100 * n) / Math.max(1, item.file.size))}%`),
      });
      this.signal.throwIfAborted();
    }
    if (lfs.length) await this.sendLfs(`${d.base}.git/info/lfs/objects/batch`, lfs);
    this.onPhase('Committing…');
    return this.commit(`${d.api}/commit/${rev}`, summary, description);
  }

  private mark(item: Item, text: string): void {
    if (item.cell) item.cell.textContent = text;
  }

  private async preupload(url: string): Promise<void> {
    for (let i = 0; i < this.items.length; i += 250) {
      const chunk = this.items.slice(i, i + 250);
      const files = await Promise.all(
        chunk.map(async (it) => ({ path: it.path, size: it.file.size, sample: base64OfBytes(new Uint8Array(await it.file.slice(0, 512).arrayBuffer())) })),
      );
      const res = await api<{ files: { path: string; uploadMode: 'lfs' | 'regular'; shouldIgnore: boolean }[] }>(url, { json: { files }, signal: this.signal });
      const byPath = new Map(res.files.map((f) => [f.path, f]));
      for (const it of chunk) {
        const answer = byPath.get(it.path);
        it.mode = answer?.uploadMode === 'lfs' ? 'lfs' : 'regular';
        this.mark(it, it.mode === 'lfs' ? 'LFS' : 'ready');
      }
    }
  }

  private async sendLfs(batchUrl: string, items: Item[]): Promise<void> {
    for (let i = 0; i < items.length; i += 100) {
      const chunk = items.slice(i, i + 100);
      const res = await api<{ objects: BatchObject[] }>(batchUrl, {
        json: { operation: 'upload', transfers: ['basic'], hash_algo: 'sha256', objects: chunk.map((it) => ({ oid: it.oid, size: it.file.size })) },
        headers: { Accept: LFS_JSON, 'Content-Type': LFS_JSON },
        signal: this.signal,
      });
      for (const it of chunk) {
        const obj = res.objects.find((o) => o.oid === it.oid);
        if (!obj) throw new Error(`The hub did not answer for ${it.path}`);
        if (obj.error) throw new ApiError(obj.error.code, `${it.path}: ${obj.error.message}`, undefined, obj);
        if (obj.actions?.upload) {
          this.mark(it, 'uploading…');
          await this.put(obj.actions.upload.href, it, obj.actions.upload.header);
          if (obj.actions.verify) {
            await api(obj.actions.verify.href, {
              json: { oid: it.oid, size: it.file.size },
              headers: { ...obj.actions.verify.header, Accept: LFS_JSON, 'Content-Type': LFS_JSON },
              signal: this.signal,
            });
          }
        }
        // No upload action: the repo already has these bytes.
        it.sent = it.file.size;
        this.mark(it, 'uploaded (LFS)');
        this.onProgress();
      }
    }
  }

  private xhr(method: string, url: string, body: Blob, headers: Record<string, string>, onSent: (loaded: number, total: number) => void): Promise<string> {
    return new Promise((resolve, reject) => {
      if (this.signal.aborted) return reject(aborted());
      const xhr = new XMLHttpRequest();
      this.xhrs.add(xhr);
      xhr.open(method, url);
      for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
      if (sameOrigin(url)) xhr.setRequestHeader('X-CSRF-Token', csrfToken());
      xhr.upload.onprogress = (e) => onSent(e.loaded, e.total);
      xhr.onload = () => {
        this.xhrs.delete(xhr);
        if (xhr.status >= 200 && xhr.status < 300) return resolve(xhr.responseText);
        let body: unknown;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          body = undefined;
        }
        reject(new ApiError(xhr.status, errorText(xhr.status, body, xhr.getResponseHeader('X-Error-Message')), xhr.getResponseHeader('X-Error-Code') ?? undefined, body));
      };
      xhr.onerror = () => {
        this.xhrs.delete(xhr);
        reject(new TypeError('Network error'));
      };
      xhr.onabort = () => {
        this.xhrs.delete(xhr);
        reject(aborted());
      };
      xhr.send(body);
    });
  }

  private async put(href: string, it: Item, header: Record<string, string> | undefined): Promise<void> {
    await this.xhr('PUT', href, it.file, { ...header }, (loaded) => {
      it.sent = Math.min(loaded, it.file.size);
      this.onProgress();
    });
  }

  private async commit(url: string, summary: string, description: string): Promise<{ commitOid: string; commitUrl?: string }> {
    const lines: string[] = [JSON.stringify({ key: 'header', value: { summary, description } })];
    const regular = this.items.filter((i) => i.mode === 'regular');
    for (const it of regular) {
      this.signal.throwIfAborted();
      lines.push(JSON.stringify({ key: 'file', value: { path: it.path, content: await base64OfFile(it.file), encoding: 'base64' } }));
    }
    for (const it of this.items.filter((i) => i.mode === 'lfs')) {
      lines.push(JSON.stringify({ key: 'lfsFile', value: { path: it.path, algo: 'sha256', oid: it.oid, size: it.file.size } }));
    }
    this.signal.throwIfAborted();
    const body = new Blob([lines.join('\n') + '\n'], { type: 'application/x-ndjson' });
    const text = await this.xhr('POST', url, body, { 'Content-Type': 'application/x-ndjson', Accept: 'application/json' }, (loaded, total) => {
      for (const it of regular) it.sent = total ? Math.floor((it.file.size * loaded) / total) : it.file.size;
      if (total && loaded >= total) this.committing = true;
      this.onProgress();
    });
    this.committing = true;
    for (const it of this.items) it.sent = it.file.size;
    this.onProgress();
    return JSON.parse(text) as { commitOid: string; commitUrl?: string };
  }
}
