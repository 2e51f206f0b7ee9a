// Small helpers for files that must survive a SIGKILL or power loss once a call returns.
import { mkdirSync, openSync, writeSync, fsyncSync, closeSync, renameSync, readFileSync } from "node:fs";
import { open, rename } from "node:fs/promises";
import { dirname, join } from "node:path";

/** Writes `text` to `path` atomically (temp file, fsync, rename, fsync of the directory). */
export function writeFileDurable(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDir(dirname(path));
}

let written = 0;

/**
 * writeFileDurable off the event loop: the writes and fsyncs run in libuv's pool, several at a
 * time, so a burst of small durable files (the outbox while the bus is away) neither blocks the
 * service nor waits one fsync after another.
 */
export async function writeFileDurableAsync(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${process.pid}.${Date.now()}.${written++}.tmp`);
  const file = await open(tmp, "w", 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  const d = await open(dir, "r");
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

export function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
