// Every phone script, and the test stand-ins for Android's commands, pass shellcheck.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hasTool } from "../helpers/tools.ts";
import { TERMUX_DIR } from "./fixture.ts";

const scripts = [
  ...readdirSync(TERMUX_DIR).filter((f) => f.endsWith(".sh")).map((f) => join(TERMUX_DIR, f)),
  join(import.meta.dirname, "standins", "standin.sh"),
];

describe.runIf(hasTool("shellcheck"))("termux scripts", () => {
  it("include bootstrap, run-cell, status and uninstall", () => {
    const names = scripts.map((s) => s.split("/").pop());
    expect(names).toEqual(expect.arrayContaining(["bootstrap.sh", "run-cell.sh", "status.sh", "uninstall.sh", "lib.sh"]));
  });

  it.each(scripts)("%s is shellcheck clean", (script) => {
    // -x follows `source lib.sh`; a finding makes shellcheck exit non-zero and execFileSync throw.
    execFileSync("shellcheck", ["-x", "--severity=style", script], { cwd: TERMUX_DIR, stdio: "pipe" });
  });
});
