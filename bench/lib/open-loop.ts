// Open-loop load: calls send(n) on a fixed schedule (rate per second) whatever the answers'
// pace, so a slow answer delays no later request and queueing shows in the latencies.
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

/** Sends `total` calls at `rate`/s; resolves with the achieved send rate once all have settled. */
export async function openLoop(rate: number, total: number, send: (n: number) => Promise<void>): Promise<number> {
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  let n = 0;
  while (n < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    for (; n < due; n++) inflight.push(send(n));
    await sleep(1);
  }
  const achieved = total / ((performance.now() - start) / 1000);
  await Promise.all(inflight);
  return achieved;
}
