// npm run hosts [-- <stack>...] [--apply] [--windows] [--hosts-file PATH]: the stacks' LAN names
// for a machine that cannot use the LAN DNS server. Prints the hosts lines; --apply writes them
// into the hosts file (AIOS_HOSTS_FILE or /etc/hosts) as one marked block, replacing the last
// one. On Windows (or WSL, whose /etc/hosts Windows generates) it prints the PowerShell to run as
// administrator instead: the hosts block, and firewall rules for every port each stack publishes.
// Exit 0: done; 1: a stack's outputs could not be read, or the file could not be written.
import { accessSync, constants, readFileSync, writeFileSync } from "node:fs";
import { release } from "node:os";
import { parseArgs } from "node:util";
import { z } from "zod";
import { EXIT_ERROR, EXIT_OK, runCommand } from "./lib/cli.ts";
import { mergeEntries, powershellFirewall, powershellHosts, withBlock, type PublishedPort, type StackHosts } from "./lib/hosts-file.ts";
import { checkStackNames, listStacks, PulumiMissingError, readStackOutputs } from "./lib/pulumi.ts";

const outputsSchema = z.object({
  hostsEntries: z.array(z.string().regex(/^\S+ \S+$/, "expected `<address> <name>` lines")).optional(),
  publishedPorts: z.array(z.object({ service: z.string(), port: z.number().int(), protocol: z.enum(["tcp", "udp"]) })).optional(),
});

interface StackRead extends StackHosts {
  ports: PublishedPort[];
}

/** Windows itself, or WSL (its kernel names Microsoft): the hosts file that counts is Windows'. */
const onWindows = () => process.platform === "win32" || /microsoft/i.test(release());

async function readStack(stack: string): Promise<StackRead | undefined> {
  const parsed = outputsSchema.safeParse(await readStackOutputs(stack));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`stack "${stack}": output ${issue.path.join(".")}: ${issue.message}`);
  }
  if (!parsed.data.hostsEntries) {
    console.error(`${stack}: no hostsEntries output (the vps's names are public DNS records; a LAN stack needs \`pulumi up -s ${stack}\`)`);
    return undefined;
  }
  return { stack, lines: parsed.data.hostsEntries, ports: parsed.data.publishedPorts ?? [] };
}

function apply(file: string, lines: string[]): number {
  const current = readFileSync(file, "utf8");
  const next = withBlock(current, lines, file);
  if (next === current) {
    console.log(`${file}: already up to date (${lines.length} names)`);
    return EXIT_OK;
  }
  try {
    accessSync(file, constants.W_OK);
  } catch {
    console.error(`cannot write ${file} as this user: run it as root with your environment (sudo -E ./aios hosts --apply keeps your Pulumi login), or print the lines and add them by hand; nothing changed`);
    return EXIT_ERROR;
  }
  // written in place: /etc/hosts is often a bind mount (containers, WSL) that a rename would break
  writeFileSync(file, next);
  console.log(`${file}: wrote the aios-fleet block (${lines.length} names)`);
  return EXIT_OK;
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { apply: { type: "boolean" }, windows: { type: "boolean" }, "hosts-file": { type: "string" } },
  });
  const stacks = positionals.length ? checkStackNames(positionals) : listStacks(process.cwd());
  const read: StackRead[] = [];
  let errors = 0;
  for (const stack of stacks) {
    try {
      const r = await readStack(stack);
      if (r) read.push(r);
    } catch (err) {
      if (err instanceof PulumiMissingError) throw err;
      console.error(`${stack}: error: ${(err as Error).message}`);
      errors++;
    }
  }
  if (errors) return EXIT_ERROR;
  const { lines, notes } = mergeEntries(read);
  for (const n of notes) console.error(`note: ${n}`);
  if (!lines.length) {
    console.error("no stack has hostsEntries: deploy a LAN stack first");
    return EXIT_ERROR;
  }
  if (values.windows || onWindows()) {
    console.log("# In PowerShell as administrator, on each Windows machine that needs the names:");
    console.log(powershellHosts(lines));
    for (const r of read) {
      if (!r.ports.length) continue;
      console.log(`# On the machine that runs stack ${r.stack}, so the LAN reaches what it publishes:`);
      for (const l of powershellFirewall(r.stack, r.ports)) console.log(l);
    }
    return EXIT_OK;
  }
  if (!values.apply) {
    for (const l of lines) console.log(l);
    return EXIT_OK;
  }
  return apply(values["hosts-file"] ?? process.env.AIOS_HOSTS_FILE ?? "/etc/hosts", lines);
}

if (import.meta.main) await runCommand(main);
