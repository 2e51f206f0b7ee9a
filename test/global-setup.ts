// Each test run gets its own temporary directory (TMPDIR for every suite), removed when the run
// ends: the data directories, sockets and packaged copies the suites make under tmpdir() would
// otherwise pile up in /tmp, hundreds per run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "aios-test-"));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
