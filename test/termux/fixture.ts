// A temporary tree laid out like Termux's (files/usr is $PREFIX, files/home is $HOME), with the
// Android-only commands replaced by stand-ins (standins/standin.sh) and everything else real;
// and the project source the bootstrap fetches, made from the working tree as a local git
// repository and as a release-style tarball.
import { execFileSync, spawn } from "node:child_process";
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";

export const REPO = resolve(import.meta.dirname, "../..");
export const TERMUX_DIR = join(REPO, "termux");
const STANDIN = join(import.meta.dirname, "standins", "standin.sh");
const STANDINS = ["pkg", "sv", "sv-enable", "sv-disable", "service-daemon", "svlogd", "termux-wake-lock", "termux-wake-unlock"];

export interface FakeTermux {
  root: string;
  prefix: string;
  home: string;
  /** The environment a Termux shell would give (HOME, PATH), plus what the stand-ins need. */
  env: Record<string, string>;
  /** The stand-in commands called so far, one "command args" string each. */
  calls(): string[];
  dispose(): void;
}

// What a real phone's npm has and a bare environment would lose: the machine's CA and proxy
// settings (environment), and npm's own registry and CA file, written where Termux's npm reads
// its global config ($PREFIX/etc/npmrc). Its cache starts empty in the phone's HOME: installs
// really come from the registry, as on a new phone.
const CARRIED_ENV = /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|(https?|no|all)_proxy|(HTTPS?|NO|ALL)_PROXY)$/;

function trustAndProxyEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => CARRIED_ENV.test(e[0]) && !!e[1]));
}

function phoneNpmrc(): string {
  const lines: string[] = [];
  for (const key of ["registry", "cafile", "strict-ssl", "proxy", "https-proxy", "noproxy"]) {
    const value = execFileSync("npm", ["config", "get", key], { encoding: "utf8" }).trim();
    if (value && value !== "null" && value !== "undefined") lines.push(`${key}=${value}`);
  }
  return lines.join("\n") + "\n";
}

const which = (cmd: string): string => execFileSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).trim();

export function makeTermux(): FakeTermux {
  const root = mkdtempSync(join(tmpdir(), "aios-termux-"));
  const prefix = join(root, "files", "usr");
  const home = join(root, "files", "home");
  for (const d of ["bin", "etc/profile.d", "var/service", "var/log", "tmp"]) mkdirSync(join(prefix, d), { recursive: true });
  mkdirSync(home, { recursive: true });
  symlinkSync(which("sh"), join(prefix, "bin", "sh"));
  symlinkSync(which("bash"), join(prefix, "bin", "bash"));
  for (const name of STANDINS) symlinkSync(STANDIN, join(prefix, "bin", name));
  // termux-services' own profile script, as the package installs it.
  writeFileSync(
    join(prefix, "etc", "profile.d", "start-services.sh"),
    "export SVDIR=$PREFIX/var/service\nexport LOGDIR=$PREFIX/var/log\n(service-daemon start >/dev/null 2>&1 & )\n",
  );
  writeFileSync(join(prefix, "etc", "npmrc"), phoneNpmrc());
  const callsLog = join(root, "standin-calls.log");
  writeFileSync(callsLog, "");
  return {
    root,
    prefix,
    home,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      TERMUX_STANDIN_LOG: callsLog,
      // The Node that `pkg install nodejs-lts` provides: the one running the tests (Node 24).
      TERMUX_STANDIN_NODE: process.execPath,
      npm_config_update_notifier: "false",
      ...trustAndProxyEnv(),
    },
    calls: () => readFileSync(callsLog, "utf8").split("\n").filter(Boolean),
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}

export interface ProjectSource {
  gitRepo: string;
  tarball: string;
}

/** The working tree's app/ and termux/ as a git repository and as a tarball with one top directory. */
export function makeProjectSource(dir: string): ProjectSource {
  const tree = join(dir, "aios-fleet-src");
  const skip = (src: string): boolean => !/[/\\](node_modules|data)$/.test(src);
  cpSync(join(REPO, "app"), join(tree, "app"), { recursive: true, filter: skip });
  cpSync(TERMUX_DIR, join(tree, "termux"), { recursive: true });
  const tarball = join(dir, "aios-fleet.tar.gz");
  execFileSync("tar", ["-czf", tarball, "-C", dir, "aios-fleet-src"]);
  const git = (...args: string[]) => execFileSync("git", ["-C", tree, ...args], { stdio: "ignore" });
  git("init", "-q");
  git("add", "-A");
  git("-c", "user.name=test", "-c", "user.email=test@127.0.0.1", "commit", "-qm", "source");
  return { gitRepo: tree, tarball };
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a script with bash, as a user would in Termux, feeding `stdin` to it. */
export function runScript(script: string, args: string[], env: Record<string, string>, stdin = ""): Promise<Run> {
  return runBash([script, ...args], env, stdin);
}

/** Runs a command line with bash -c, as a user who pastes it into Termux would. */
export function runCommand(line: string, env: Record<string, string>): Promise<Run> {
  return runBash(["-c", line], env, "");
}

function runBash(args: string[], env: Record<string, string>, stdin: string): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    const p = spawn("bash", args, { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.once("error", reject);
    p.once("close", (code) => resolveRun({ code, stdout, stderr }));
    p.stdin.on("error", () => {}); // EPIPE: the script exited without reading its input
    p.stdin.end(stdin);
  });
}

/** Every path below `root` with its type, size, mode and modification time. */
export function snapshot(root: string, skip: (rel: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const rel = relative(root, path);
      if (skip(rel)) continue;
      const st = lstatSync(path);
      out.push(`${rel} ${st.mode.toString(8)} ${st.isDirectory() ? "-" : st.size} ${st.isDirectory() ? "-" : st.mtimeMs}`);
      if (st.isDirectory()) walk(path);
    }
  };
  walk(root);
  return out;
}
