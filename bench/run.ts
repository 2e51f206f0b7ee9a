// `npm run bench`: every figure, printed, never asserted. The app's figures come from
// bench/app.ts; bench/organelles.ts and bench/infra.ts join in when they exist.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { runAppBench } from "./app.ts";
import { printTable, type Figure } from "./lib/stats.ts";

type Bench = () => Promise<Figure[] | void>;

async function optional(file: string, exportName: string): Promise<Bench | undefined> {
  const path = join(import.meta.dirname, file);
  if (!existsSync(path)) return undefined;
  const mod = (await import(path)) as Record<string, unknown>;
  if (typeof mod[exportName] !== "function") throw new Error(`bench/${file} does not export ${exportName}()`);
  return mod[exportName] as Bench;
}

const suites: [string, Bench | undefined][] = [
  ["App (cell, bus, presence, memory)", runAppBench],
  ["Organelles", await optional("organelles.ts", "runOrganelleBench")],
  ["Infrastructure", await optional("infra.ts", "runInfraBench")],
];

const started = performance.now();
let failed = false;
for (const [title, run] of suites) {
  if (!run) continue;
  try {
    const figures = await run();
    if (figures) printTable(title, figures);
  } catch (err) {
    failed = true;
    console.error(`\n${title}: the bench failed: ${(err as Error).stack ?? String(err)}`);
  }
}
console.log(`\nbench took ${((performance.now() - started) / 1000).toFixed(0)} s on ${process.version}`);
process.exit(failed ? 1 : 0);
