// A recording stand-in for the `pulumi` executable: a shell script in a temp dir that appends its
// arguments to calls.log and replays the answer prepared for (first two arguments, stack), else
// (first argument, stack). Next to it, a stand-in for `docker` that logs its DOCKER_HOST too.
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
if [ -f "$dir/$1-$2.$stack.code" ]; then base="$dir/$1-$2.$stack"; fi
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

const DOCKER_SCRIPT = `#!/bin/sh
dir=$(dirname "$0")
printf 'DOCKER_HOST=%s %s\\n' "\${DOCKER_HOST-}" "$*" >> "$dir/docker-calls.log"
if [ -f "$dir/docker.stdout" ]; then cat "$dir/docker.stdout"; fi
if [ -f "$dir/docker.stderr" ]; then cat "$dir/docker.stderr" >&2; fi
if [ -f "$dir/docker.code" ]; then exit "$(cat "$dir/docker.code")"; fi
exit 0
`;

export interface FakePulumi {
  /** The directory holding the `pulumi` and `docker` scripts: put it first on PATH. */
  dir: string;
  /**
   * Prepares the answer to `pulumi <command> ... -s <stack>`: command "preview", "stack", or two
   * words joined by "-" ("stack-output", "stack-history") to answer just that subcommand.
   */
  answer(command: string, stack: string, a: Answer): void;
  /** Argument lines of every call so far. */
  calls(): string[];
  /** Prepares what `docker` prints (every call). */
  docker(a: Answer): void;
  /** "DOCKER_HOST=<value> <arguments>" of every docker call so far. */
  dockerCalls(): string[];
  dispose(): void;
}

const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, "utf8").trim().split("\n") : []);

export function fakePulumi(): FakePulumi {
  const dir = mkdtempSync(join(tmpdir(), "aios-fake-pulumi-"));
  for (const [name, text] of [["pulumi", SCRIPT], ["docker", DOCKER_SCRIPT]] as const) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
  const prepare = (base: string, a: Answer) => {
    if (a.stdout !== undefined) writeFileSync(`${base}.stdout`, a.stdout);
    if (a.stderr !== undefined) writeFileSync(`${base}.stderr`, a.stderr);
    writeFileSync(`${base}.code`, String(a.code ?? 0));
  };
  return {
    dir,
    answer: (command, stack, a) => prepare(join(dir, `${command}.${stack}`), a),
    calls: () => lines(join(dir, "calls.log")),
    docker: (a) => prepare(join(dir, "docker"), a),
    dockerCalls: () => lines(join(dir, "docker-calls.log")),
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
