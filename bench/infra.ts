// Figure: time to evaluate the desktop program under Pulumi's mocks (the program part of a
// preview: config parse, plan, render, every resource registered and every output resolved).
// The first run includes loading the Pulumi SDK and providers; later runs are the program alone.
import { performance } from "node:perf_hooks";
import { runStack } from "../test/infra/mock-stack.ts";

const RUNS = 3;

export async function runInfraBench(): Promise<void> {
  const times: number[] = [];
  let resources = 0;
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const run = await runStack("desktop");
    times.push(performance.now() - start);
    resources = run.resources.length;
  }
  // Mocked runs leave the SDK's bookkeeping of in-flight outputs behind; drained here so its
  // exit-time leak check does not turn `npm run bench` into a failure.
  // (an internal of the SDK, absent from its typings)
  const debuggable = (await import("@pulumi/pulumi/runtime/debuggable.js")) as unknown as { leakedPromises(): unknown };
  debuggable.leakedPromises();
  const [first, ...rest] = times;
  const warm = rest.length ? rest.reduce((a, b) => a + b, 0) / rest.length : first!;
  console.log(
    `infra: desktop program under mocks: ${resources} resources; first run ${(first! / 1000).toFixed(2)} s (with SDK load), ` +
      `then ${(warm / 1000).toFixed(2)} s per run (mean of ${rest.length})`,
  );
}

if (import.meta.main) await runInfraBench();
