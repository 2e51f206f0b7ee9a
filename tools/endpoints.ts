// npm run endpoints [-- <stack>...] [--timeout <ms>]: every URL in each stack's `endpoints` output,
// checked live (trusting the stack's own CA from its caCertificate output). Exit 0: all answer;
// 2: some endpoint is down; 1: a stack's outputs could not be read.
import { parseArgs } from "node:util";
import { EXIT_ATTENTION, EXIT_ERROR, EXIT_OK, runCommand } from "./lib/cli.ts";
import { parseMs } from "./lib/probe.ts";
import { checkStackNames, listStacks, PulumiMissingError } from "./lib/pulumi.ts";
import { checkEndpoint, readEndpoints, type StackEndpoints } from "./lib/stack-endpoints.ts";
import { formatTable } from "./lib/table.ts";

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { timeout: { type: "string" } } });
  const timeoutMs = parseMs("--timeout", values.timeout ?? process.env.AIOS_PROBE_TIMEOUT_MS, 3000, 120_000);
  const stacks = positionals.length ? checkStackNames(positionals) : listStacks(process.cwd());
  const rows: string[][] = [];
  let errors = 0;
  let down = 0;
  for (const stack of stacks) {
    let read: StackEndpoints;
    try {
      read = await readEndpoints(stack);
    } catch (err) {
      if (err instanceof PulumiMissingError) throw err;
      console.log(`${stack}: error: ${(err as Error).message}`);
      errors++;
      continue;
    }
    const entries = Object.entries(read.endpoints).sort(([a], [b]) => a.localeCompare(b));
    const results = await Promise.all(entries.map(([name, url]) => checkEndpoint(name, url, timeoutMs, read.ca)));
    entries.forEach(([name, url], i) => {
      const r = results[i]!;
      if (r.state === "down") down++;
      rows.push([stack, name, url, r.text, r.latencyMs === undefined ? "-" : `${r.latencyMs} ms`]);
    });
  }
  if (rows.length) console.log(formatTable(["STACK", "NAME", "URL", "STATUS", "LATENCY"], rows));
  return errors ? EXIT_ERROR : down ? EXIT_ATTENTION : EXIT_OK;
}

if (import.meta.main) await runCommand(main);
