// A recording stand-in for the `pulumi` executable: a shell script in a temp dir that appends its
// arguments to calls.log and replays the answer prepared for (first argument, stack).
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawn } from "node:child_process";

const SCRIPT = `#!/bin/sh
dir=$(dirname "$0")
printf '%s\\n' "$*" >> "$dir/calls.log"
stack=""
prev=""
for a in "$@"; do
  if [ "$prev" = "-s" ]; then stack=$a; fi
  prev=$a
done
base="$dir/$1.$stack"
if [ -f "$base.stdout" ]; then cat "$base.stdout"; fi
if [ -f "$base.stderr" ]; then cat "$base.stderr" >&2; fi
if [ -f "$base.code" ]; then exit "$(cat "$base.code")"; fi
exit 0
`;

export interface Answer {
  stdout?: string;
  stderr?: string;
  code?: number;
}

export interface FakePulumi {
  /** The directory holding the `pulumi` script: put it first on PATH. */
  dir: string;
  /** Prepares the answer to `pulumi <command> ... -s <stack>` (command: "preview" or "stack"). */
  answer(command: string, stack: string, a: Answer): void;
  /** Argument lines of every call so far. */
  calls(): string[];
  dispose(): void;
}

export function fakePulumi(): FakePulumi {
  const dir = mkdtempSync(join(tmpdir(), "aios-fake-pulumi-"));
  writeFileSync(join(dir, "pulumi"), SCRIPT);
  chmodSync(join(dir, "pulumi"), 0o755);
  return {
    dir,
    answer(command, stack, a) {
      const base = join(dir, `${command}.${stack}`);
      if (a.stdout !== undefined) writeFileSync(`${base}.stdout`, a.stdout);
      if (a.stderr !== undefined) writeFileSync(`${base}.stderr`, a.stderr);
      writeFileSync(`${base}.code`, String(a.code ?? 0));
    },
    calls() {
      const log = join(dir, "calls.log");
      return existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const FIXTURES = resolve(import.meta.dirname, "../fixtures/pulumi");
export const fixture = (name: string) => readFileSync(join(FIXTURES, name), "utf8");

export interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs tools/<name>.ts with Node 24 as a child process, as `npm run <name>` would (`via`: a command prefix like setpriv). */
export function runTool(
  name: string,
  args: string[],
  opts: { cwd: string; env: Record<string, string>; via?: string[] },
): Promise<ToolRun> {
  const script = resolve(import.meta.dirname, `../../tools/${name}.ts`);
  const argv = [...(opts.via ?? []), process.execPath, script, ...args];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.once("error", reject);
    child.once("close", (code) => resolvePromise({ code, stdout, stderr }));
  });
}
