// Plays runit's runsvdir and runsv for a Termux-like prefix (runit exists only on the phone):
// every service directory that appears under var/service gets its ./log/run started in log/,
// and its ./run started in the service directory with stdout and stderr piped into the logger,
// restarted a second after it exits unless `sv down` asked it to stay down. A directory that
// disappears has its ./run stopped, as runsvdir does. The pid of the running ./run is kept in
// supervise/pid, where the `sv` stand-in (standins/standin.sh) reads it.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface Supervised {
  dir: string;
  log: ChildProcess;
  run?: ChildProcess;
  /** A restart is scheduled (runsv waits a second after ./run exits). */
  pending: boolean;
  starts: number;
}

const MAX_STARTS = 20;

export interface Runsvdir {
  /** How many times ./run of a service was started. */
  starts(name: string): number;
  stop(): Promise<void>;
}

const exited = (p: ChildProcess): Promise<void> =>
  p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once("exit", () => r()));

export function startRunsvdir(svdir: string, env: NodeJS.ProcessEnv): Runsvdir {
  const services = new Map<string, Supervised>();
  let stopping = false;

  const wantsDown = (s: Supervised): boolean => existsSync(join(s.dir, "supervise", "want-down"));
  const startRun = (s: Supervised): void => {
    if (stopping || !existsSync(join(s.dir, "run")) || s.starts >= MAX_STARTS) return;
    s.starts++;
    const run = spawn(join(s.dir, "run"), [], { cwd: s.dir, env, stdio: ["ignore", "pipe", "pipe"] });
    run.stdout!.pipe(s.log.stdin!, { end: false });
    run.stderr!.pipe(s.log.stdin!, { end: false });
    s.run = run;
    try {
      writeFileSync(join(s.dir, "supervise", "pid"), String(run.pid));
    } catch {
      run.kill("SIGTERM"); // the service directory was removed meanwhile
    }
    run.once("exit", () => {
      s.run = undefined;
      if (stopping || wantsDown(s) || !existsSync(s.dir)) return;
      s.pending = true;
      setTimeout(() => {
        s.pending = false;
        if (!wantsDown(s)) startRun(s);
      }, 1000);
    });
  };

  const scan = (): void => {
    const present = new Set(existsSync(svdir) ? readdirSync(svdir) : []);
    for (const name of present) {
      if (services.has(name) || !existsSync(join(svdir, name, "run"))) continue;
      const dir = join(svdir, name);
      mkdirSync(join(dir, "supervise"), { recursive: true });
      const log = spawn(join(dir, "log", "run"), [], { cwd: join(dir, "log"), env, stdio: ["pipe", "ignore", "inherit"] });
      services.set(name, { dir, log, pending: false, starts: 0 });
      // A down file means: supervise, but do not start until `sv up`.
      if (existsSync(join(dir, "down"))) writeFileSync(join(dir, "supervise", "want-down"), "");
    }
    for (const [name, s] of services) {
      if (present.has(name)) {
        if (!s.run && !s.pending && !wantsDown(s)) startRun(s);
        continue;
      }
      services.delete(name);
      s.run?.kill("SIGTERM");
      s.log.stdin!.end();
    }
  };
  const timer = setInterval(scan, 100);

  return {
    starts: (name) => services.get(name)?.starts ?? 0,
    async stop() {
      stopping = true;
      clearInterval(timer);
      await Promise.all(
        [...services.values()].map(async (s) => {
          if (s.run) {
            const run = s.run;
            run.kill("SIGTERM");
            await exited(run);
          }
          s.log.stdin!.end();
          await exited(s.log);
        }),
      );
      services.clear();
    },
  };
}
