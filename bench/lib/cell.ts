// Cells for the bench as real processes, by default the app as devices run it: packaged dist/
// started with the image's NODE_OPTIONS (the phone's run-cell.sh uses the same lean flags). Optionally
// pinned to a CPU core with taskset.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APP_DIR, deployedNodeFlags, packagedApp } from "../../test/helpers/packaged-app.ts";
import { healthy, startChild, until, type Child } from "../../tools/local/process.ts";

export const BENCH_TOKEN = "bench-token-0123456789abcdef";
/** A per-client rate limit no bench reaches. */
export const UNLIMITED = "10000000";

/** The node flags of app/package.json's start script ("node --flag ... src/main.ts"). */
export function startFlags(): string[] {
  const start = (JSON.parse(readFileSync(join(APP_DIR, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start;
  const words = start.trim().split(/\s+/);
  if (words[0] !== "node" || words.at(-1) !== "src/main.ts") throw new Error(`app/package.json start: expected "node [flags] src/main.ts", got "${start}"`);
  return words.slice(1, -1);
}

let packaged: string | undefined;
/** dist/main.js of the app packaged once per bench run (under the run's TMPDIR, see bench/run.ts). */
export function deployedMain(): string {
  packaged ??= packagedApp();
  return join(packaged, "dist/main.js");
}

export interface BenchCell {
  name: string;
  url: string;
  dataDir: string;
  child: Child;
  pid: number;
  /** Stops the process and removes its data directory. */
  stop(): Promise<void>;
}

export interface CellOptions {
  name: string;
  natsUrl: string;
  port: number;
  core?: number;
  /** Node flags (default: the image's NODE_OPTIONS). */
  flags?: string[];
  env?: Record<string, string>;
  /** Entry point (default: the packaged app's dist/main.js). */
  main?: string;
}

export async function startCell(opts: CellOptions): Promise<BenchCell> {
  const dataDir = mkdtempSync(join(tmpdir(), `aios-bench-${opts.name}-`));
  const url = `http://127.0.0.1:${opts.port}`;
  const nodeArgs = [...(opts.flags ?? deployedNodeFlags()), opts.main ?? deployedMain()];
  const [cmd, args] = opts.core === undefined ? [process.execPath, nodeArgs] : ["taskset", ["-c", String(opts.core), process.execPath, ...nodeArgs]];
  const env = {
    PATH: process.env.PATH ?? "",
    AIOS_ROLE: "cell",
    AIOS_CELL_ID: opts.name,
    AIOS_DEVICE: "desktop",
    AIOS_HOST: "127.0.0.1",
    AIOS_PORT: String(opts.port),
    AIOS_PUBLIC_URL: url,
    AIOS_NATS_URLS: opts.natsUrl,
    AIOS_TOKEN: BENCH_TOKEN,
    AIOS_DATA_DIR: dataDir,
    AIOS_LOG_LEVEL: "warn",
    // the throughput and latency benches send 1,000 calls a second from one client: the limiter
    // runs and counts, but this client's budget is not what they measure (bench abuse is)
    AIOS_RATE_LIMIT: UNLIMITED,
    ...opts.env,
  };
  const child = startChild(opts.name, cmd, args, env, join(dataDir, "service.log"));
  try {
    await until(`${opts.name} to answer /health`, () => healthy(url), child);
  } catch (err) {
    await child.stop();
    throw new Error(`${(err as Error).message}\n${readFileSync(join(dataDir, "service.log"), "utf8").slice(-2000)}`, { cause: err });
  }
  const stop = async (): Promise<void> => {
    await child.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { name: opts.name, url, dataDir, child, pid: child.proc.pid!, stop };
}

/** Resident memory (VmRSS) of a process, in MB. */
export function rssMb(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb[1]) / 1024;
}
