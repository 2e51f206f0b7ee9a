// Container health on a stack's Docker daemon: the stack's `docker` output names the daemon
// (DOCKER_HOST, empty for the local one) and its containers; `docker inspect` says how each one
// is. A container that runs but whose health check fails is what Pulumi cannot see: the
// provider checks health only while it creates a container.
import { spawn } from "node:child_process";
import { z } from "zod";
import { stackOutputs } from "./pulumi.ts";

export interface StackDocker {
  /** DOCKER_HOST of the stack's daemon; "" for the local one. */
  host: string;
  containers: string[];
}

export interface ContainerHealth {
  name: string;
  running: boolean;
  /** Docker's health status (starting, healthy, unhealthy), undefined without a health check. */
  health: string | undefined;
  failingStreak: number;
  lastCheck: { exitCode: number; output: string } | undefined;
}

const dockerOutput = z.object({ host: z.string(), containers: z.array(z.string()) });

/** The stack's `docker` output, or undefined when the stack has none yet (deployed before it existed). */
export async function readStackDocker(stack: string): Promise<StackDocker | undefined> {
  const outputs = await stackOutputs(stack);
  if (outputs.docker === undefined) return undefined;
  const parsed = dockerOutput.safeParse(outputs.docker);
  if (!parsed.success) throw new Error(`stack "${stack}": output docker: expected {host, containers[]}`);
  return parsed.data;
}

const inspected = z.array(
  z.object({
    Name: z.string(),
    State: z.object({
      Running: z.boolean(),
      Health: z
        .object({
          Status: z.string(),
          FailingStreak: z.number(),
          Log: z.array(z.object({ ExitCode: z.number(), Output: z.string() })).nullable(),
        })
        .optional(),
    }),
  }),
);

/** `docker inspect` JSON -> one entry per container. */
export function parseInspect(json: string): ContainerHealth[] {
  const parsed = inspected.safeParse(JSON.parse(json));
  if (!parsed.success) throw new Error(`unexpected docker inspect JSON at ${parsed.error.issues[0]!.path.join(".")}`);
  return parsed.data.map((c) => {
    const last = c.State.Health?.Log?.at(-1);
    return {
      name: c.Name.replace(/^\//, ""),
      running: c.State.Running,
      health: c.State.Health?.Status,
      failingStreak: c.State.Health?.FailingStreak ?? 0,
      lastCheck: last ? { exitCode: last.ExitCode, output: last.Output.trim() } : undefined,
    };
  });
}

/** Inspects `names` on the daemon at `host` ("" = local); containers that do not exist are left out. */
export function inspectContainers(host: string, names: string[]): Promise<ContainerHealth[]> {
  if (!names.length) return Promise.resolve([]);
  const env = { ...process.env, ...(host ? { DOCKER_HOST: host } : {}) };
  return new Promise((resolve, reject) => {
    const child = spawn("docker", ["inspect", ...names], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.once("error", (err: NodeJS.ErrnoException) =>
      reject(err.code === "ENOENT" ? new Error("the docker CLI is not installed (no `docker` on PATH): it is needed to check container health") : err),
    );
    child.once("close", (code) => {
      // exit 1 with "No such object" for a missing container still prints the others
      const text = stdout.trim();
      if (text.startsWith("[") && text !== "[]") {
        try {
          resolve(parseInspect(text));
        } catch (err) {
          reject(err as Error);
        }
        return;
      }
      if (code === 0 || /No such (object|container)/i.test(stderr)) return resolve([]);
      const line = stderr.split("\n").map((l) => l.trim()).find(Boolean) ?? `exit code ${code}`;
      reject(new Error(`docker inspect on ${host || "the local daemon"} failed: ${line}`));
    });
  });
}

export const isUnhealthy = (c: ContainerHealth): boolean => c.running && c.health === "unhealthy";

/** Has a health check and is not passing it (starting, unhealthy, or not running at all). */
export const isNotHealthy = (c: ContainerHealth): boolean => c.health !== undefined && (!c.running || c.health !== "healthy");

/** One line: the container, its state, how long it has failed, and what its last check printed. */
export function describeHealth(c: ContainerHealth): string {
  const state = c.running ? c.health : `not running (health ${c.health})`;
  const last = c.lastCheck ? `; last check exit ${c.lastCheck.exitCode}: ${c.lastCheck.output.replace(/\s+/g, " ") || "(no output)"}` : "";
  return `${c.name}: ${state}, ${c.failingStreak} failed check${c.failingStreak === 1 ? "" : "s"} in a row${last}`;
}

/**
 * After a failed `pulumi up`: each container of the stack that is not healthy, described. The
 * Docker provider's error names the resource but not why its health check fails.
 */
export async function notHealthyReport(stack: string): Promise<string[]> {
  const docker = await readStackDocker(stack);
  if (!docker) return [];
  return (await inspectContainers(docker.host, docker.containers)).filter(isNotHealthy).map(describeHealth);
}
