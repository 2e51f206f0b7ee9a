// npm run drift [-- <stack>...]: does each stack's real infrastructure still match the program?
// Runs `pulumi preview --refresh --expect-no-changes --json` per stack and reads the JSON, because
// Pulumi's exit code is the same for "changes found" and "preview failed". Then, on the daemon
// the stack's `docker` output names, it finds containers that run but fail their health check:
// Pulumi sees those as unchanged.
// Exit 0: no drift anywhere; 2: something drifted or is unhealthy; 1: any stack could not be checked.
import { parseArgs } from "node:util";
import { EXIT_ATTENTION, EXIT_ERROR, EXIT_OK, runCommand } from "./lib/cli.ts";
import { driftedResources, parsePreview, previewErrors, type DriftedResource } from "./lib/preview.ts";
import { describeHealth, inspectContainers, isUnhealthy, readStackDocker, type ContainerHealth } from "./lib/health.ts";
import { checkStackNames, explainFailure, listStacks, PulumiMissingError, runPulumi, type PulumiResult } from "./lib/pulumi.ts";

export type StackDrift =
  | { kind: "clean" }
  | { kind: "drift"; resources: DriftedResource[] }
  | { kind: "error"; messages: string[] };

/** Decides drift, clean or error from one preview run. */
export function judgePreview(result: PulumiResult, stack: string): StackDrift {
  let digest;
  try {
    digest = parsePreview(result.stdout);
  } catch (err) {
    // failures before the engine starts (login, unknown stack) print no JSON at all
    return { kind: "error", messages: [result.code !== 0 ? explainFailure(result, stack) : (err as Error).message] };
  }
  const errors = previewErrors(digest);
  if (errors.length) return { kind: "error", messages: errors };
  const resources = driftedResources(digest);
  if (resources.length) return { kind: "drift", resources };
  if (result.code !== 0) return { kind: "error", messages: [explainFailure(result, stack)] };
  return { kind: "clean" };
}

function report(stack: string, d: StackDrift): string {
  if (d.kind === "clean") return `${stack}: no drift`;
  if (d.kind === "error") {
    const [first, ...rest] = d.messages.flatMap((m) => m.split("\n"));
    return [`${stack}: error: ${first}`, ...rest.map((l) => `  ${l}`)].join("\n");
  }
  const n = d.resources.length;
  return [
    `${stack}: drift in ${n} resource${n === 1 ? "" : "s"}`,
    ...d.resources.map((r) => {
      const props = r.properties.map((p) => `${p.path} (${p.kind})`).join(", ");
      return `  ${r.op.padEnd(8)} ${r.type} ${r.name}${props ? `: ${props}` : ""}`;
    }),
  ].join("\n");
}

type StackHealth = { kind: "checked"; unhealthy: ContainerHealth[] } | { kind: "no-output" } | { kind: "error"; message: string };

async function checkHealth(stack: string): Promise<StackHealth> {
  try {
    const docker = await readStackDocker(stack);
    if (!docker) return { kind: "no-output" };
    return { kind: "checked", unhealthy: (await inspectContainers(docker.host, docker.containers)).filter(isUnhealthy) };
  } catch (err) {
    if (err instanceof PulumiMissingError) throw err;
    return { kind: "error", message: (err as Error).message };
  }
}

function healthReport(stack: string, h: StackHealth): string | undefined {
  if (h.kind === "error") return `${stack}: error: container health not checked: ${h.message}`;
  if (h.kind === "no-output") return `${stack}: container health not checked: the stack has no \`docker\` output yet (pulumi up -s ${stack})`;
  const n = h.unhealthy.length;
  if (!n) return undefined;
  return [`${stack}: ${n} container${n === 1 ? "" : "s"} running but unhealthy`, ...h.unhealthy.map((c) => `  ${describeHealth(c)}`)].join("\n");
}

async function main(): Promise<number> {
  const { positionals } = parseArgs({ allowPositionals: true, options: {} });
  const stacks = positionals.length ? checkStackNames(positionals) : listStacks(process.cwd());
  let errors = 0;
  let drifted = 0;
  for (const stack of stacks) {
    const result = await runPulumi(["preview", "--refresh", "--expect-no-changes", "--json", "-s", stack]);
    const d = judgePreview(result, stack);
    console.log(report(stack, d)); // one ordered report on stdout, errors included
    if (d.kind === "error") {
      errors++;
      continue;
    }
    if (d.kind === "drift") drifted++;
    const h = await checkHealth(stack);
    const line = healthReport(stack, h);
    if (line) console.log(line);
    if (h.kind === "error") errors++;
    if (h.kind === "checked" && h.unhealthy.length && d.kind === "clean") drifted++;
  }
  return errors ? EXIT_ERROR : drifted ? EXIT_ATTENTION : EXIT_OK;
}

if (import.meta.main) await runCommand(main);
