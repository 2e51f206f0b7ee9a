// Child processes the launcher (and the bench) own: started in their own process group so a
// terminal's Ctrl-C reaches only the launcher, which then stops them in order.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { connect as netConnect } from "node:net";

export interface Child {
  name: string;
  proc: ChildProcess;
  readonly exited: boolean;
  /** How it ended: an exit code, a signal, or why it could not start. */
  readonly status: string;
  /** SIGTERM, then SIGKILL when it has not exited after `graceMs`. Resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

// Children still running when this process exits get a SIGTERM: they run in their own process
// group, which a terminal's Ctrl-C does not reach, so an interrupted bench would leave them behind.
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const p of running) p.kill("SIGTERM");
});

/** Sends `proc` a SIGTERM when this process exits while it still runs. */
export function stopOnExit(proc: ChildProcess): void {
  running.add(proc);
  proc.once("exit", () => running.delete(proc));
  proc.once("error", () => running.delete(proc));
}

export function startChild(name: string, cmd: string, args: string[], env: Record<string, string>, logFile: string): Child {
  const log = createWriteStream(logFile, { flags: "a", mode: 0o600 });
  const proc = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  stopOnExit(proc);
  proc.stdout!.pipe(log);
  proc.stderr!.pipe(log);
  let spawnError: Error | undefined;
  const gone = new Promise<void>((resolve) => {
    proc.once("exit", () => resolve());
    proc.once("error", (err) => ((spawnError = err), resolve())); // e.g. ENOENT: not installed
  });
  const exited = (): boolean => spawnError !== undefined || proc.exitCode !== null || proc.signalCode !== null;
  return {
    name,
    proc,
    get exited() {
      return exited();
    },
    get status() {
      return spawnError ? `${cmd}: ${spawnError.message}` : String(proc.exitCode ?? proc.signalCode ?? "running");
    },
    async stop(graceMs = 10_000) {
      if (!exited()) {
        proc.kill("SIGTERM");
        const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
        await gone;
        clearTimeout(timer);
      }
      await new Promise<void>((resolve) => log.end(resolve));
    },
  };
}

export const tcpOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = netConnect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });

/** Polls `probe` until it returns true; throws after `timeoutMs`, or at once if `child` exits. */
export async function until(what: string, probe: () => Promise<boolean>, child: Child | undefined, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child?.exited) throw new Error(`${child.name} exited (${child.status}) before ${what}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export const healthy = async (url: string): Promise<boolean> => (await fetch(`${url}/health`)).ok;
