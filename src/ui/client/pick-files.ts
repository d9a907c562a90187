/**
 * Files dropped on the upload page, folders included. A dropped folder is
 * only reachable through the entries API (`webkitGetAsEntry`), which every
 * current browser has; the entries must be taken during the drop event.
 */

/** A chosen file and its path relative to what was chosen (`folder/sub/file.bin`). */
export interface Picked {
  file: File;
  rel: string;
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

async function readAll(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const out: FileSystemEntry[] = [];
  // readEntries answers in batches (100 in Chromium) until an empty one.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

async function walk(entry: FileSystemEntry, out: Picked[]): Promise<void> {
  if (entry.isFile) {
    out.push({ file: await fileOf(entry as FileSystemFileEntry), rel: entry.fullPath.replace(/^\/+/, '') });
  } else if (entry.isDirectory) {
    for (const child of await readAll(entry as FileSystemDirectoryEntry)) await walk(child, out);
  }
}

/** Every file of a drop, with folders walked. Call synchronously from the drop handler. */
export function collectDrop(dt: DataTransfer): Promise<Picked[]> {
  const entries = [...dt.items].map((item) => (item.kind === 'file' ? item.webkitGetAsEntry() : null)).filter((e): e is FileSystemEntry => e !== null);
  if (entries.length === 0) return Promise.resolve([...dt.files].map((file) => ({ file, rel: file.name })));
  return (async () => {
    const out: Picked[] = [];
    for (const entry of entries) await walk(entry, out);
    return out;
  })();
}
