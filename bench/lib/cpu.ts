// CPU accounting for the figures: the time the hypervisor gave to other guests while a figure was
// measured (the "steal" column of /proc/stat; on a shared VM the main source of latency tails no
// code here causes), and the CPU time a process used (what a request or message costs it, which
// stolen time does not inflate).
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

/** utime + stime of a process so far, in µs (/proc/<pid>/stat counts clock ticks of 10 ms). */
export function cpuMicros(pid: number): number {
  // the fields after the command name, which is in parentheses and may hold spaces
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** How often a process's main thread has gone to sleep and been woken since it started. */
export function wakeups(pid: number): number {
  const m = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? NaN);
}
