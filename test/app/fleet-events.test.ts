// GET /fleet/events on a real discovery process and bus: the stream opens with the current view,
// sends a new frame when a member joins, and a discovery that stops (SIGTERM) ends its open
// streams rather than hanging on them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasTool } from "../helpers/tools.ts";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import { startService, type ServiceHandle } from "../helpers/service.ts";
import { sseFrames } from "../helpers/sse.ts";
import type { FleetView } from "../../app/src/fleet-map/view.ts";

const PRESENCE = { AIOS_HEARTBEAT_MS: "200", AIOS_DOWN_AFTER_MS: "1000" };

const frames = (body: ReadableStream<Uint8Array<ArrayBuffer>>) => sseFrames<FleetView>(body);

describe.runIf(hasTool("nats-server"))("GET /fleet/events", () => {
  let nats: NatsHandle;
  let discovery: ServiceHandle;
  const others: ServiceHandle[] = [];

  beforeAll(async () => {
    nats = await startNats();
    discovery = await startService({ AIOS_ROLE: "discovery", AIOS_NATS_URLS: nats.url, ...PRESENCE });
  });
  afterAll(async () => {
    await Promise.all(others.map((s) => s.kill()));
    await discovery?.kill();
    await nats?.dispose();
  });

  it("opens with the view, sends a frame when a cell joins, and ends when discovery stops", async () => {
    const res = await fetch(`${discovery.url}/fleet/events`);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const stream = frames(res.body!);
    const first = (await stream.next()).value as FleetView;
    expect(first.devices).toEqual([]);

    others.push(await startService({ AIOS_ROLE: "cell", AIOS_CELL_ID: "gamma", AIOS_DEVICE: "laptop", AIOS_LEVEL: "7", AIOS_NATS_URLS: nats.url, ...PRESENCE }));
    let joined: FleetView | undefined;
    for await (const f of stream) {
      if (f.devices.some((d) => d.members.some((m) => m.cell_id === "gamma" && m.status === "up"))) {
        joined = f;
        break;
      }
    }
    expect(joined).toMatchObject({ mean_level: 7, coherence: 1, cells_up: 1, devices: [{ device: "laptop", bus: "up" }] });

    const res2 = await fetch(`${discovery.url}/fleet/events`);
    const open = frames(res2.body!);
    await open.next();
    await discovery.kill("SIGTERM");
    expect(discovery.proc.exitCode).toBe(0);
    // the stream ends (or breaks) with the process, rather than staying open
    await expect((async () => {
      for await (const _ of open) void _;
      return "ended";
    })().catch(() => "ended")).resolves.toBe("ended");
  });
});
