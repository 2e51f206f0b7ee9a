// The app as devices run it: packaged to dist/ (app/scripts/package.ts) and started with the
// NODE_OPTIONS the image sets. Used by the package test and the memory bench.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const APP_DIR = resolve(import.meta.dirname, "../../app");

/** Packages a copy of app/ in a temp dir (never writing into the working tree); returns its root. */
export function packagedApp(): string {
  const app = join(mkdtempSync(join(tmpdir(), "aios-pkg-")), "app");
  for (const part of ["package.json", "src", "scripts", "public"]) cpSync(join(APP_DIR, part), join(app, part), { recursive: true });
  symlinkSync(resolve(APP_DIR, "../node_modules"), join(app, "node_modules"));
  execFileSync(process.execPath, ["--no-warnings", "scripts/package.ts"], { cwd: app });
  return app;
}

/**
 * The NODE_OPTIONS line of app/Dockerfile, split into flags (the phone's run-cell.sh uses the same
 * less the heap cap, which only means something under a container's memory limit).
 */
export function deployedNodeFlags(): string[] {
  const m = /NODE_OPTIONS="([^"]*)"/.exec(readFileSync(join(APP_DIR, "Dockerfile"), "utf8"));
  if (!m) throw new Error("app/Dockerfile sets no NODE_OPTIONS");
  return m[1]!.split(/\s+/).filter(Boolean);
}
