// A run's own temporary directory: the data directories, sockets and packaged copies a test run
// or a bench makes under tmpdir() would otherwise pile up in /tmp, hundreds per run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Points TMPDIR (this process's and its children's) at a new directory; returns its remover. */
export function ownTmpdir(prefix: string): () => void {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.env.TMPDIR = dir;
  // retried: a child stopped a moment ago may still be removing its own files
  return () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
