// The launcher's and the bench's children run in their own process group (a terminal's Ctrl-C
// reaches only the parent), so they must be stopped when the parent exits, whatever the reason.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { waitFor } from "../helpers/ports.ts";

const PROCESS_TS = resolve(import.meta.dirname, "../../tools/local/process.ts");

/** Whether a process is gone (or a zombie, when nothing reaps orphans here). */
function gone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.startsWith("Z");
  } catch {
    return true;
  }
}

describe("children of the launcher and the bench", () => {
  it("get a SIGTERM when their parent exits while they still run", async () => {
    const log = join(mkdtempSync(join(tmpdir(), "aios-proc-")), "sleeper.log");
    const parent = `
      import { startChild } from ${JSON.stringify(PROCESS_TS)};
      const child = startChild("sleeper", "sleep", ["60"], { PATH: process.env.PATH }, ${JSON.stringify(log)});
      child.proc.once("spawn", () => { console.log(child.proc.pid); process.exit(0); });`;
    const pid = Number(execFileSync(process.execPath, ["--input-type=module", "-e", parent], { encoding: "utf8" }).trim());
    expect(pid).toBeGreaterThan(0);
    await waitFor("the orphaned sleep to be stopped", async () => gone(pid), 5000);
  });
});
