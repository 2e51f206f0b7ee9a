// The bus alone, for reference: JetStream publish -> ack latency from a plain nats client, on a
// stream of its own (the cells' AIOS_MESSAGES stream is not touched).
import { performance } from "node:perf_hooks";
import { connect, nanos, StorageType } from "nats";
import { openLoop } from "./open-loop.ts";
import { percentile } from "./stats.ts";

export async function busPublishLatency(natsUrl: string, rate: number, seconds: number): Promise<{ p50: number; p99: number }> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: "BENCH", subjects: ["bench.>"], storage: StorageType.File, duplicate_window: nanos(600_000) });
    const js = nc.jetstream();
    const acked: number[] = [];
    const body = JSON.stringify({ pad: "x".repeat(160) }); // about the size of a cell message
    await openLoop(rate, rate * (seconds + 1), async (n) => {
      const t = performance.now();
      await js.publish("bench.x", body, { msgID: `probe-${n}`, timeout: 5000 });
      if (n >= rate) acked.push(performance.now() - t); // the first second is warm-up
    });
    await jsm.streams.delete("BENCH");
    return { p50: percentile(acked, 50), p99: percentile(acked, 99) };
  } finally {
    await nc.close();
  }
}
