// A Docker engine for the image test: the one already answering on DOCKER_HOST (or the default
// socket), else a private dockerd this test starts (its own socket, data and exec roots, no
// bridge or iptables changes) and stops afterwards. No image is pulled: the base image is made
// from this machine's Node 24, its shared libraries, a shell, tini and npm (see localBaseImage).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { waitFor } from "../helpers/ports.ts";

export interface Engine {
  env: NodeJS.ProcessEnv;
  docker(args: string[], opts?: { timeoutMs?: number }): string;
  stop(): Promise<void>;
}

const which = (cmd: string): string => execFileSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).trim();

function client(env: NodeJS.ProcessEnv) {
  return (args: string[], opts: { timeoutMs?: number } = {}): string =>
    execFileSync("docker", args, { env, encoding: "utf8", timeout: opts.timeoutMs ?? 60_000, stdio: ["ignore", "pipe", "pipe"] });
}

export async function startEngine(): Promise<Engine> {
  // the classic builder: Debian's dockerd has no BuildKit plugin, and the Dockerfile needs none
  const shared = { ...process.env, DOCKER_BUILDKIT: "0" };
  try {
    client(shared)(["info"], { timeoutMs: 10_000 });
    return { env: shared, docker: client(shared), stop: async () => undefined };
  } catch {
    // none answering: start our own below
  }
  const dir = mkdtempSync(join(tmpdir(), "aios-dockerd-"));
  const sock = join(dir, "docker.sock");
  const env = { ...shared, DOCKER_HOST: `unix://${sock}` };
  const docker = client(env);
  let log = "";
  const proc: ChildProcess = spawn(
    "dockerd",
    ["--host", `unix://${sock}`, "--data-root", join(dir, "data"), "--exec-root", join(dir, "exec"),
      "--pidfile", join(dir, "dockerd.pid"), "--bridge", "none", "--iptables=false", "--ip-masq=false"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  proc.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const gone = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      const kill = setTimeout(() => proc.kill("SIGKILL"), 20_000);
      await gone;
      clearTimeout(kill);
    }
    // dockerd leaves its network namespace (exec/netns/default) mounted; unmount before removing
    const mounts = readFileSync("/proc/self/mounts", "utf8").split("\n").map((l) => l.split(" ")[1] ?? "");
    for (const m of mounts.filter((p) => p.startsWith(`${dir}/`)).reverse()) execFileSync("umount", ["-l", m]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      "dockerd to answer",
      () => {
        if (proc.exitCode !== null) throw new Error(`dockerd exited ${proc.exitCode}: ${log.slice(-2000)}`);
        docker(["info"], { timeoutMs: 5000 });
        return true;
      },
      60_000,
      500,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { env, docker, stop };
}

/** Shared libraries a binary loads, from ldd (absolute paths, the dynamic loader included). */
function libs(binary: string): string[] {
  const out = execFileSync("ldd", [binary], { encoding: "utf8" });
  return [...out.matchAll(/(\/\S+)\s+\(0x/g)].map((m) => m[1]!);
}

/**
 * Imports a minimal glibc image with this machine's Node 24 (the test's own node), npm, a
 * shell, rm, tini and this machine's CA bundle, tagged `tag`. Stands in for node:24-alpine, which cannot be pulled here.
 */
export function localBaseImage(engine: Engine, tag: string): void {
  const root = mkdtempSync(join(tmpdir(), "aios-rootfs-"));
  try {
    const put = (from: string, to: string): void => {
      mkdirSync(join(root, dirname(to)), { recursive: true });
      copyFileSync(realpathSync(from), join(root, to));
      chmodSync(join(root, to), 0o755);
    };
    const binaries: [string, string][] = [
      [process.execPath, "/usr/local/bin/node"],
      [which("sh"), "/bin/sh"],
      [which("rm"), "/bin/rm"],
      [which("tini"), "/usr/bin/tini"],
    ];
    for (const [from, to] of binaries) {
      put(from, to);
      for (const lib of libs(from)) put(lib, lib);
    }
    // npm: the machine's npm package, run by the image's node
    const npmCli = realpathSync(which("npm"));
    cpSync(dirname(dirname(npmCli)), join(root, "usr/local/lib/node_modules/npm"), { recursive: true });
    writeFileSync(join(root, "usr/local/bin/npm"), '#!/bin/sh\nexec node /usr/local/lib/node_modules/npm/bin/npm-cli.js "$@"\n', {
      mode: 0o755,
    });
    mkdirSync(join(root, "etc"), { recursive: true });
    writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n");
    writeFileSync(join(root, "etc/group"), "root:x:0:\nnode:x:1000:\n");
    for (const d of ["root", "home/node", "tmp"]) mkdirSync(join(root, d), { recursive: true });
    // this machine's trust store, so npm in the build reaches the registry as this machine does
    const changes = ["ENV PATH=/usr/local/bin:/usr/bin:/bin"];
    const caFile = process.env.NODE_EXTRA_CA_CERTS ?? "/etc/ssl/certs/ca-certificates.crt";
    if (existsSync(caFile)) {
      put(caFile, "/etc/ssl/certs/ca-certificates.crt");
      changes.push("ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt");
    }
    chmodSync(join(root, "tmp"), 0o1777);
    const tar = join(dirname(root), `${tag.replace(/\W/g, "_")}.tar`);
    execFileSync("tar", ["-C", root, "-cf", tar, "."]);
    engine.docker(["import", ...changes.flatMap((c) => ["-c", c]), tar, tag], { timeoutMs: 120_000 });
    rmSync(tar, { force: true });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const APP_DIR = resolve(import.meta.dirname, "../../app");

/**
 * Builds app/Dockerfile as `tag` on a locally made Node 24 base image (`baseTag`). CPU-heavy:
 * a suite builds it once, in its beforeAll.
 */
export function buildAppImage(engine: Engine, tag: string, baseTag: string): void {
  localBaseImage(engine, baseTag);
  // --network host: npm ci reaches the registry as this machine does
  engine.docker(["build", "--network", "host", "--build-arg", `NODE_IMAGE=${baseTag}`, "-t", tag, APP_DIR], { timeoutMs: 240_000 });
}

/** The id of an image or container (`docker inspect`). */
export function idOf(engine: Engine, ref: string): string {
  return engine.docker(["inspect", "-f", "{{.Id}}", ref]).trim();
}

/**
 * The most memory (MiB) the cgroup of process `pid` has used: cgroup v1's max_usage_in_bytes or
 * v2's memory.peak. Undefined when this kernel exposes neither.
 */
export function peakMemoryMb(pid: string): number | undefined {
  const lines = readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n");
  const v1 = lines.find((l) => l.split(":")[1]?.split(",").includes("memory"));
  const candidates = v1
    ? [`/sys/fs/cgroup/memory${v1.split(":")[2]}/memory.max_usage_in_bytes`]
    : lines.filter((l) => l.startsWith("0::")).map((l) => `/sys/fs/cgroup${l.slice(3)}/memory.peak`);
  const file = candidates.find((f) => existsSync(f));
  return file === undefined ? undefined : Number(readFileSync(file, "utf8")) / 2 ** 20;
}
