// The dispatcher's view of the cells' task loads when the server loses its watches without the
// connection dropping (a leaf's hub back within seconds): real nats-server, the app's Bus,
// Presence and CellLoads in process. The watches' consumers are deleted on the server, which is
// what the hub's restart does to them; nats.js itself notices only after missed idle heartbeats
// (15 s here, were it left to them), the member's presence after 3 of its own heartbeats.
import { connect, StorageType, type KV, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bus } from "../../app/src/lib/bus.ts";
import { Presence, PRESENCE_BUCKET, type PresenceRecord } from "../../app/src/lib/presence.ts";
import { unsigned } from "../../app/src/lib/signing.ts";
import { CellLoads } from "../../app/src/tasks/cell-loads.ts";
import { LOAD_BUCKET, type CellLoad } from "../../app/src/tasks/protocol.ts";
import { hasTool } from "../helpers/tools.ts";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import { waitFor } from "../helpers/ports.ts";

const quiet = { info: () => undefined, warn: () => undefined };
const HEARTBEAT_MS = 200;
const record = (cell_id: string, role: string): PresenceRecord => ({
  cell_id,
  role,
  device: "laptop",
  url: "http://127.0.0.1:1",
  consciousness_level: 0,
  version: "0.0.0",
  heartbeat: new Date().toISOString(),
  transport: "bus",
});
const load = (cell_id: string, running: number): CellLoad => ({ cell_id, running, capacity: 4, task_ids: [], updated_at: new Date().toISOString() });

describe.skipIf(!hasTool("nats-server"))("CellLoads after the server lost its watches", () => {
  let nats: NatsHandle;
  let bus: Bus;
  let presence: Presence;
  let loads: CellLoads;
  let writer: NatsConnection;
  let loadKv: KV;
  let presenceKv: KV;

  beforeAll(async () => {
    nats = await startNats();
    bus = new Bus({ servers: [nats.url], token: undefined, tls: { mode: "plain" }, sealer: unsigned, name: "loads-test", log: quiet });
    presence = new Presence(bus, { heartbeatMs: HEARTBEAT_MS, downAfterMs: 10 * HEARTBEAT_MS, self: () => record("task-dispatcher-laptop", "task-dispatcher") });
    loads = new CellLoads(bus, presence);
    bus.start();
    // the cells' side, on a connection of its own
    writer = await connect({ servers: nats.url });
    const js = writer.jetstream();
    loadKv = await js.views.kv(LOAD_BUCKET, { history: 1, storage: StorageType.File });
    presenceKv = await js.views.kv(PRESENCE_BUCKET, { history: 1, storage: StorageType.File });
    await presenceKv.put("alpha", JSON.stringify(record("alpha", "cell")));
    await loadKv.put("alpha", JSON.stringify(load("alpha", 0)));
    await waitFor("the dispatcher to see alpha's load", async () => loads.get("alpha")?.running === 0 && presence.get("alpha") !== undefined);
  });
  afterAll(async () => {
    loads?.stop();
    await presence?.stop();
    await writer?.close();
    await bus?.close();
    await nats?.dispose();
  });

  it("sees load changes again within a few heartbeats, not only once nats.js misses its idle heartbeats", async () => {
    const jsm = await writer.jetstreamManager();
    for (const stream of [`KV_${PRESENCE_BUCKET}`, `KV_${LOAD_BUCKET}`]) {
      const consumers = await jsm.consumers.list(stream).next();
      expect(consumers.length, stream).toBeGreaterThan(0); // the watches' own
      for (const c of consumers) await jsm.consumers.delete(stream, c.name);
    }
    await loadKv.put("alpha", JSON.stringify(load("alpha", 3)));
    await presenceKv.put("beta", JSON.stringify(record("beta", "cell")));
    // presence sets its watch up again after 3 unseen heartbeats (0.6 s here), then the loads'
    await waitFor("the dispatcher to see alpha's new load", async () => loads.get("alpha")?.running === 3, 3_000);
    expect(presence.get("beta")?.role).toBe("cell");
  });
});
