// A real nats-server with JetStream on 127.0.0.1, its store in a temp dir that survives restarts.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor } from "./ports.ts";
import { NATS_SERVER_ENV } from "../../infra/render/nats.ts";
import { stopOnExit, tcpOpen } from "../../tools/local/process.ts";

export interface NatsHandle {
  url: string;
  port: number;
  storeDir: string;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and store. */
  start(): Promise<void>;
  /** Stops it and removes its store. */
  dispose(): Promise<void>;
  /** The server's process id while it runs. */
  pid(): number | undefined;
}

/** Stops a server process (SIGTERM) and waits for it to exit; no-op when it is not running. */
export async function stopServer(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    p.once("exit", () => resolve());
    p.kill("SIGTERM");
  });
}

export async function startNats(extraArgs: string[] = []): Promise<NatsHandle> {
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), "aios-nats-"));
  let proc: ChildProcess | undefined;
  const handle: NatsHandle = {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    async start() {
      proc = spawn("nats-server", ["-js", "-sd", storeDir, "-a", "127.0.0.1", "-p", String(port), ...extraArgs], {
        stdio: "ignore",
        env: { ...process.env, ...NATS_SERVER_ENV }, // as devices run it
      });
      stopOnExit(proc);
      await waitFor("nats-server to listen", () => tcpOpen(port));
    },
    async stop() {
      const p = proc;
      proc = undefined;
      await stopServer(p);
    },
    async dispose() {
      await handle.stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
    pid: () => proc?.pid,
  };
  await handle.start();
  return handle;
}
