// Real tools the tests drive (nats-server, promtool, shellcheck, ...). Outside CI a missing tool
// skips its suite with a visible warning; with CI=true a missing tool fails the run.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export function hasTool(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    if (process.env.CI === "true") {
      throw new Error(`${name} is required under CI=true but is not installed (run scripts/setup.sh)`);
    }
    console.warn(`SKIPPED: ${name} is not installed; its tests are skipped (run scripts/setup.sh)`);
    return false;
  }
}

/** hasTool for a program that is not on PATH (installed under .tools/ by scripts/setup.sh). */
export function hasExecutable(path: string, name: string): boolean {
  if (existsSync(path)) return true;
  if (process.env.CI === "true") throw new Error(`${name} is required under CI=true but ${path} is missing (run scripts/setup.sh)`);
  console.warn(`SKIPPED: ${name} is not installed at ${path}; its tests are skipped (run scripts/setup.sh)`);
  return false;
}
