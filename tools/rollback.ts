// ./aios rollback -- <stack>: deploys the app image the device ran healthy before, kept there by
// the stack's release step, without building anything. Which one: the stack's `appImages` output
// holds the image of the last good release and the one before it. If the newest update failed
// (a new image never got healthy, so nothing was released), the device goes back to the last good
// release; otherwise to the one before it. It runs
//   pulumi up --yes -s <stack> --config-path --config aios:image.deploy=<image id>
// which saves the pin in Pulumi.<stack>.yaml; `pulumi config rm --path aios:image.deploy` returns
// the stack to building app/. Data volumes are not touched: only app containers are replaced.
// Exit: pulumi's (0 deployed; 1 it failed or there is nothing to roll back to).
import { parseArgs } from "node:util";
import { z } from "zod";
import { EXIT_ERROR, runCommand } from "./lib/cli.ts";
import { checkStackNames, pulumiJson, runPulumiShown, stackOutputs } from "./lib/pulumi.ts";
import { explainFailedUp } from "./up.ts";

const appImages = z.object({ good: z.string(), previous: z.string() });
const history = z.array(z.object({ kind: z.string(), result: z.string().optional(), version: z.number() }));

export interface Target {
  image: string;
  why: string;
}

/** The image to go back to, from the stack's outputs and update history. */
export async function rollbackTarget(stack: string): Promise<Target> {
  const outputs = await stackOutputs(stack);
  const kept = appImages.safeParse(outputs.appImages);
  if (!kept.success) {
    throw new Error(`stack "${stack}" has no appImages output: no release has been kept on the device yet (deploy with \`pulumi up -s ${stack}\` first)`);
  }
  const updates = history.safeParse(await pulumiJson(["stack", "history", "--json", "-s", stack], stack));
  if (!updates.success) throw new Error(`unexpected \`pulumi stack history --json\` output at ${updates.error.issues[0]!.path.join(".")}`);
  const last = updates.data.filter((u) => u.kind === "update").sort((a, b) => b.version - a.version)[0];
  if (last?.result === "failed") {
    return { image: kept.data.good, why: `the last update (version ${last.version}) failed: back to the last good release` };
  }
  if (!kept.data.previous) {
    throw new Error(`stack "${stack}": the device keeps no release before ${kept.data.good}: nothing to roll back to`);
  }
  return { image: kept.data.previous, why: "the release before the current one" };
}

async function main(): Promise<number> {
  const { positionals } = parseArgs({ allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw new Error("usage: ./aios rollback -- <stack>");
  const [stack] = checkStackNames(positionals) as [string];
  const target = await rollbackTarget(stack);
  console.log(`${stack}: rolling the app containers back to ${target.image} (${target.why}); nothing is built`);
  const started = Date.now();
  const code = await runPulumiShown(["up", "--yes", "--non-interactive", "-s", stack, "--config-path", "--config", `aios:image.deploy=${target.image}`]);
  if (code !== 0) {
    console.error(`${stack}: rollback failed: pulumi up exited with ${code} (see above)`);
    for (const line of await explainFailedUp(stack)) console.error(line);
    return EXIT_ERROR;
  }
  console.log(
    `${stack}: rolled back in ${Math.round((Date.now() - started) / 1000)} s. The stack stays on this image until ` +
      `\`pulumi config rm --path aios:image.deploy -s ${stack}\` (then pulumi up builds app/ again).`,
  );
  return code;
}

if (import.meta.main) await runCommand(main);
