// A real VS Code for the extension's end-to-end test: code-server (installed under .tools/ by
// scripts/setup.sh) with the packaged .vsix installed, on 127.0.0.1, driven by Debian's chromium
// through playwright-core.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { chromium, type Browser, type Page } from "playwright-core";
import { freePort, waitFor } from "../helpers/ports.ts";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
export const CODE_SERVER = join(ROOT, ".tools/code-server/node_modules/.bin/code-server");
export const VSIX = join(ROOT, "vscode-extension/dist/aios-copilot.vsix");
// the flags this kind of machine needs for a headless chromium (no sandbox, GPU, QUIC or updates)
const CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync"];

/** Builds and packages the extension with the README's command (./aios extension runs this script). */
export async function packageExtension(): Promise<void> {
  await run("npm", ["run", "--silent", "extension"], { cwd: ROOT, timeout: 120_000 });
}

export interface CodeServer {
  url: string;
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Installs the .vsix into a fresh profile and starts code-server on `workspace` with `settings`. */
export async function startCodeServer(dir: string, workspace: string, settings: Record<string, unknown>): Promise<CodeServer> {
  const userData = join(dir, "user-data");
  const extensions = join(dir, "extensions");
  mkdirSync(join(userData, "User"), { recursive: true });
  writeFileSync(join(userData, "User", "settings.json"), JSON.stringify(settings, null, 2));
  // its own config file too: code-server otherwise writes ~/.config/code-server/config.yaml
  const profile = ["--config", join(dir, "config.yaml"), "--user-data-dir", userData, "--extensions-dir", extensions];
  await run(CODE_SERVER, [...profile, "--install-extension", VSIX], { timeout: 120_000 });
  const port = await freePort();
  const args = ["--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--disable-telemetry", "--disable-update-check",
    "--disable-workspace-trust", ...profile, workspace];
  const proc = spawn(CODE_SERVER, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PASSWORD: undefined } });
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor("code-server to answer", async () => {
    if (proc.exitCode !== null) throw new Error(`code-server exited with ${proc.exitCode}: ${out}`);
    return (await fetch(`${url}/healthz`)).ok;
  }, 90_000, 250);
  return {
    url,
    proc,
    output: () => out,
    stop: () =>
      new Promise((done) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return done();
        proc.once("exit", () => done());
        proc.kill("SIGTERM");
      }),
  };
}

/** Headless chromium whose config and crash reports stay in `dir`, not in ~/.config. */
export async function launchChromium(executablePath: string, dir: string): Promise<Browser> {
  const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, "config"), XDG_CACHE_HOME: join(dir, "cache") };
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS, env });
}

/** Runs a command from the command palette by its title, as a user would. */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = page.locator(".quick-input-widget input");
  // the quick input before (the token's, say) may still be closing: not the palette
  await input.waitFor({ state: "hidden", timeout: 10_000 });
  // a key press can land while the workbench moves focus (an editor opening): press again
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press("F1");
    const shown = await input.waitFor({ state: "visible", timeout: 5000 }).then(
      () => true,
      (err: unknown) => {
        if (attempt === 3) throw err;
        return false;
      },
    );
    if (shown) break;
  }
  await input.fill(`>${title}`);
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
  await row.waitFor({ state: "visible" });
  // the row itself, not Enter: Enter takes the list's focused row, which on a loaded machine can
  // still be the one from before the filter caught up (the likely cause of a clean-clone CI run
  // whose Running Extensions view never opened)
  await row.click();
}

/** The text of the first notification toast that matches `pattern`. */
export async function notification(page: Page, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const toast = page.locator(".notification-toast", { hasText: pattern }).first();
  await toast.waitFor({ state: "visible", timeout: timeoutMs });
  return (await toast.innerText()).trim();
}
