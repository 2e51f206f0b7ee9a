// CPU time the hypervisor gave to other guests while a figure was measured (the "steal" column of
// /proc/stat). On a shared VM this is the main source of latency tails that no code here causes,
// so it is printed next to the figures it may have spoiled.
import { readFileSync } from "node:fs";

function cpuTicks(): { steal: number; total: number } {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  return { steal: fields[7] ?? 0, total: fields.reduce((a, b) => a + b, 0) };
}

/** Starts a measurement; the returned function gives the steal share (%) since then. */
export function stealMeter(): () => number {
  const start = cpuTicks();
  return () => {
    const end = cpuTicks();
    const total = end.total - start.total;
    return total > 0 ? (100 * (end.steal - start.steal)) / total : 0;
  };
}
