// ./aios up -- <stack> [pulumi up flags]: `pulumi up` for one stack, its output shown as it runs.
// When it fails, it names each container of the stack that is not healthy, with the output of
// its last health check: the Docker provider's own error names the member (the resource) but
// says only "container failed to be in healthy state". Exit: 0 deployed, 1 failed.
import { parseArgs } from "node:util";
import { EXIT_ERROR, EXIT_OK, runCommand } from "./lib/cli.ts";
import { notHealthyReport } from "./lib/health.ts";
import { checkStackNames, runPulumiShown } from "./lib/pulumi.ts";

/** After a failed update: what is not healthy on the stack's daemon, or why that could not be read. */
export async function explainFailedUp(stack: string): Promise<string[]> {
  try {
    const lines = await notHealthyReport(stack);
    return lines.length ? [`${stack}: not healthy after the update:`, ...lines.map((l) => `  ${l}`)] : [];
  } catch (err) {
    return [`${stack}: container health not read: ${(err as Error).message}`];
  }
}

async function main(): Promise<number> {
  const { positionals } = parseArgs({ allowPositionals: true, strict: false, options: {} });
  const [name, ...rest] = positionals;
  if (!name) throw new Error("usage: ./aios up -- <stack> [pulumi up flags]");
  const [stack] = checkStackNames([name]) as [string];
  const code = await runPulumiShown(["up", "-s", stack, ...rest]);
  if (code === 0) return EXIT_OK;
  console.error(`${stack}: pulumi up exited with ${code}`);
  for (const line of await explainFailedUp(stack)) console.error(line);
  return EXIT_ERROR;
}

if (import.meta.main) await runCommand(main);
