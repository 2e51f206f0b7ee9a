// Runs the Pulumi CLI (`pulumi` on PATH, or PULUMI_BIN) and turns its well-known failures into one
// line that says what to do. The CLI prints those failures as "error: ..." on stderr.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";

/** The stacks the project defines when no Pulumi.<stack>.yaml file is present yet. */
export const DEFAULT_STACKS = ["desktop", "laptop", "vps"];

export interface PulumiResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI could not be started at all: nothing else can work, so commands stop at once. */
export class PulumiMissingError extends Error {
  constructor(bin: string) {
    super(
      bin === "pulumi"
        ? "the Pulumi CLI is not installed (no `pulumi` on PATH): install it from https://www.pulumi.com/docs/install/ or set PULUMI_BIN to its path"
        : `PULUMI_BIN is "${bin}" but that cannot be run: point PULUMI_BIN at the pulumi executable or unset it`,
    );
    this.name = "PulumiMissingError";
  }
}

export function runPulumi(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<PulumiResult> {
  const bin = env.PULUMI_BIN || "pulumi";
  return new Promise((resolve, reject) => {
    // --non-interactive: never wait on a prompt (login, passphrase) in a scheduled run
    const child = spawn(bin, [...args, "--non-interactive"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.once("error", (err: NodeJS.ErrnoException) =>
      reject(err.code === "ENOENT" || err.code === "EACCES" ? new PulumiMissingError(bin) : err),
    );
    child.once("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** One line explaining why a pulumi command failed for `stack`, with what to do about it. */
export function explainFailure(result: PulumiResult, stack: string): string {
  const err = result.stderr;
  if (/PULUMI_ACCESS_TOKEN/.test(err) || /forget to 'pulumi login'/.test(err)) {
    return "not logged in to a Pulumi backend: run `pulumi login` (or set PULUMI_ACCESS_TOKEN, or PULUMI_BACKEND_URL for a self-managed backend)";
  }
  if (/no stack named '[^']*' found/.test(err)) {
    return `stack "${stack}" does not exist on this backend: create it with \`pulumi stack init ${stack}\`, or check \`pulumi whoami -v\` shows the backend you deployed to`;
  }
  if (/no Pulumi\.yaml project file found/.test(err)) {
    return "no Pulumi.yaml found: run this from the project root (where Pulumi.yaml is)";
  }
  if (/passphrase must be set/.test(err)) {
    return "the stack's secrets need its passphrase: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE";
  }
  const lines = err.split("\n").map((l) => l.trim()).filter(Boolean);
  const detail = lines.find((l) => l.startsWith("error:")) ?? lines.at(-1) ?? "no output";
  return `pulumi exited with code ${result.code}: ${detail}`;
}

/** Stack names from the Pulumi.<stack>.yaml files in `dir`, or the default three when there are none. */
export function listStacks(dir: string): string[] {
  const found = readdirSync(dir)
    .map((f) => /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
  return found.length ? found : DEFAULT_STACKS;
}

/** Stack names given on the command line; a name starting with "-" would reach pulumi as a flag. */
export function checkStackNames(names: string[]): string[] {
  for (const n of names) {
    if (!/^[A-Za-z0-9_.][A-Za-z0-9_./-]*$/.test(n)) throw new Error(`"${n}" is not a stack name (letters, digits, _ . - /)`);
  }
  return names;
}

/** Every output of a stack (`pulumi stack output --json`); throws an Error with one line saying what to do. */
export async function readStackOutputs(stack: string): Promise<Record<string, unknown>> {
  const result = await runPulumi(["stack", "output", "--json", "-s", stack]);
  if (result.code !== 0) throw new Error(explainFailure(result, stack));
  try {
    return JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`\`pulumi stack output --json -s ${stack}\` did not print JSON`);
  }
}
