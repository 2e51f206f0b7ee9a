// A durable consumer read through one iterator across nats-server restarts (real nats-server,
// the app's Bus): messages keep their order and none waits out ack_wait after a reconnect, and
// when the server comes back empty the consumer is made again and read at once.
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { AckPolicy, DeliverPolicy, JSONCodec, nanos } from "nats";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Bus } from "../../app/src/lib/bus.ts";
import { DurableConsumer } from "../../app/src/lib/durable-consumer.ts";
import { unsigned } from "../../app/src/lib/signing.ts";
import { ensureStream } from "../../app/src/lib/streams.ts";
import { hasTool } from "../helpers/tools.ts";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import { waitFor } from "../helpers/ports.ts";

const quiet = { info: () => undefined, warn: () => undefined };
const jc = JSONCodec<number>();

describe.skipIf(!hasTool("nats-server"))("DurableConsumer", () => {
  let nats: NatsHandle;
  let bus: Bus;
  let consumer: DurableConsumer;
  let attached = 0;
  const got: { n: number; redelivered: boolean }[] = [];

  beforeEach(async () => {
    nats = await startNats();
    got.length = 0;
    attached = 0;
    bus = new Bus({ servers: [nats.url], token: undefined, tls: { mode: "plain" }, sealer: unsigned, name: "durable-test", log: quiet });
    consumer = new DurableConsumer(
      "T",
      { durable_name: "reader", filter_subject: "t.n", ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ack_wait: nanos(10_000) },
      (m) => {
        got.push({ n: jc.decode(m.data), redelivered: m.info.redelivered });
        m.ack();
      },
      quiet,
    );
    bus.onUp(async (_nc, js, jsm, cause) => {
      await ensureStream(jsm, { name: "T", subjects: ["t.n"] });
      await consumer.attach(js, jsm, cause);
      attached++;
    });
    bus.start();
    await waitFor("the first attach", () => attached === 1);
  });
  afterEach(async () => {
    consumer.stop();
    await bus.close();
    await nats.dispose();
  });

  const publish = async (from: number, to: number): Promise<void> => {
    for (let n = from; n <= to; n++) await bus.js!.publish("t.n", jc.encode(n));
  };
  const restart = async (emptied: boolean): Promise<void> => {
    const before = attached;
    await nats.stop();
    if (emptied) for (const e of readdirSync(nats.storeDir)) rmSync(join(nats.storeDir, e), { recursive: true });
    await nats.start();
    await waitFor("the attach after the restart", () => attached > before && bus.connected);
  };

  it("reads on in order after a restart, with nothing redelivered", async () => {
    await publish(1, 20);
    await waitFor("1-20", () => got.length === 20);
    for (let round = 0; round < 3; round++) {
      await restart(false);
      // published right as the consumer resumes: the moment an extra pull request could take one
      await publish(21 + round * 20, 40 + round * 20);
    }
    const firsts = (): number[] => [...new Set(got.map((g) => g.n))];
    await waitFor("all 80", () => firsts().length === 80, 8000);
    // (a repeat is possible, at least once is the contract, and readers de-duplicate; a late one is not)
    expect(firsts()).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    expect(got.filter((g) => g.redelivered)).toEqual([]);
  });

  it("makes the consumer again and reads at once when the server came back empty", async () => {
    await publish(1, 1);
    await waitFor("the first message", () => got.length === 1);
    await restart(true);
    await publish(2, 2);
    // the old iterator alone would retry the lost consumer only after 15-45 s
    await waitFor("the message after the empty restart", () => got.length === 2, 5000);
    expect(got.map((g) => g.n)).toEqual([1, 2]);
  });
});
