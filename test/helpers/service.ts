// Runs the app (app/src/main.ts) as a real process, as a device would, and waits for /health.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, waitFor } from "./ports.ts";

export const APP_MAIN = resolve(import.meta.dirname, "../../app/src/main.ts");
export const TEST_TOKEN = "test-token-0123456789abcdef";

export interface ServiceHandle {
  url: string;
  port: number;
  env: Record<string, string>;
  proc: ChildProcess;
  output(): string;
  /** Sends a signal and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts a fresh process with the same environment (same port and data dir). */
  restart(): Promise<ServiceHandle>;
}

export interface StartOptions {
  waitHealthy?: boolean;
  /** The entry point to run (default app/src/main.ts; the packaged app runs dist/main.js). */
  main?: string;
}

export async function startService(env: Record<string, string>, opts: StartOptions = {}): Promise<ServiceHandle> {
  const port = env.AIOS_PORT ? Number(env.AIOS_PORT) : await freePort();
  const full: Record<string, string> = {
    AIOS_DEVICE: "desktop",
    AIOS_HOST: "127.0.0.1",
    AIOS_TOKEN: TEST_TOKEN,
    AIOS_DATA_DIR: mkdtempSync(join(tmpdir(), "aios-data-")),
    AIOS_LOG_LEVEL: "warn",
    ...env,
    AIOS_PORT: String(port),
  };
  full.AIOS_PUBLIC_URL ??= `http://127.0.0.1:${port}`;
  let out = "";
  const proc = spawn(process.execPath, [opts.main ?? APP_MAIN], {
    env: { PATH: process.env.PATH ?? "", ...full },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const handle: ServiceHandle = {
    url,
    port,
    env: full,
    proc,
    output: () => out,
    kill: (signal = "SIGTERM") =>
      new Promise((resolveKill) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolveKill();
        proc.once("exit", () => resolveKill());
        proc.kill(signal);
      }),
    restart: () => startService(full, opts),
  };
  if (opts.waitHealthy !== false) {
    await waitFor(
      `${full.AIOS_ROLE} ${full.AIOS_CELL_ID ?? ""} to answer /health`,
      async () => {
        if (proc.exitCode !== null) throw new Error(`exited with ${proc.exitCode}: ${out}`);
        const res = await fetch(`${url}/health`);
        return res.ok;
      },
      15_000,
    );
  }
  return handle;
}

export const auth = { authorization: `Bearer ${TEST_TOKEN}` };

export async function api(method: string, url: string, body?: unknown, headers: Record<string, string> = auth) {
  const res = await fetch(url, {
    method,
    headers: { ...headers, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json: json as Record<string, unknown> & { [k: string]: unknown } };
}
