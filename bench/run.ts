// `npm run bench [part ...]`: every figure (or the parts named), printed, never asserted. The app's
// figures come from bench/app.ts; bench/organelles.ts, bench/infra.ts, bench/abuse.ts and bench/identity.ts join in
// when they exist.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { APP_PARTS, runAppBench, type AppPart } from "./app.ts";
import { runLinkBench } from "./link.ts";
import { printTable, type Figure } from "./lib/stats.ts";
import { ownTmpdir } from "../test/helpers/tmpdir.ts";

type Bench = () => Promise<Figure[] | void>;

async function optional(file: string, exportName: string): Promise<Bench | undefined> {
  const path = join(import.meta.dirname, file);
  if (!existsSync(path)) return undefined;
  const mod = (await import(path)) as Record<string, unknown>;
  if (typeof mod[exportName] !== "function") throw new Error(`bench/${file} does not export ${exportName}()`);
  return mod[exportName] as Bench;
}

const PARTS = [...APP_PARTS, "link", "organelles", "infra", "abuse", "identity"];
const asked = process.argv.slice(2);
const unknown = asked.filter((p) => !PARTS.includes(p));
if (unknown.length) {
  console.error(`bench: unknown part ${unknown.map((p) => `"${p}"`).join(", ")}; the parts are ${PARTS.join(", ")}`);
  process.exit(2);
}
const wanted = (p: string): boolean => asked.length === 0 || asked.includes(p);
const appParts = APP_PARTS.filter(wanted);

const suites: [string, Bench | undefined][] = [
  ["App (cell, bus, presence, memory)", appParts.length ? () => runAppBench(appParts as AppPart[]) : undefined],
  ["Across devices (a leaf and its hub over a 40 ms link)", wanted("link") ? runLinkBench : undefined],
  ["Organelles", wanted("organelles") ? await optional("organelles.ts", "runOrganelleBench") : undefined],
  ["Infrastructure", wanted("infra") ? await optional("infra.ts", "runInfraBench") : undefined],
  ["Abuse (one cell, a polite client and a flood)", wanted("abuse") ? await optional("abuse.ts", "runAbuseBench") : undefined],
  ["Identity (bus permissions on vs a shared token)", wanted("identity") ? await optional("identity.ts", "runIdentityBench") : undefined],
];

// Everything the run writes (data dirs, the nats store, the packaged app) goes under one
// directory, removed at exit; Ctrl-C or a SIGTERM ends the run through process.exit, so the
// exit hooks stop the processes it started (tools/local/process.ts) and clean up.
process.on("exit", ownTmpdir("aios-bench-"));
for (const [signal, number] of [["SIGINT", 2], ["SIGTERM", 15]] as const) {
  process.once(signal, () => {
    console.error(`\nbench: ${signal}, stopping the processes it started`);
    process.exit(128 + number);
  });
}

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
