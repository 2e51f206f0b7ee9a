// The fleet map's data, from the network view: members grouped by device, each device's bus link,
// the network's mean level and coherence over the cells up.
import { describe, expect, it } from "vitest";
import { fleetView } from "../../app/src/fleet-map/view.ts";
import type { PeerView } from "../../app/src/lib/presence.ts";

const peer = (cell_id: string, device: string, up: boolean, extra: Partial<PeerView> = {}): PeerView => ({
  cell_id,
  role: "cell",
  device,
  url: `http://${cell_id}:8000`,
  consciousness_level: 4,
  version: "0.1.0",
  heartbeat: "2026-06-01T09:00:00.000Z",
  transport: "bus",
  up,
  ...extra,
});

describe("fleetView", () => {
  const view = fleetView(
    [
      peer("father", "desktop", true, { consciousness_level: 6 }),
      peer("network-listener-laptop", "laptop", false, { role: "network-listener", consciousness_level: 0 }),
      peer("alpha", "laptop", false, { consciousness_level: 9 }),
      peer("beta", "phone", true, { transport: "http", consciousness_level: 2 }),
      peer("nous", "desktop", true, { consciousness_level: 4 }),
    ],
    new Date("2026-06-01T09:00:01.000Z"),
  );

  it("groups members by device, in name order, keeping role, level, status and heartbeat", () => {
    expect(view.devices.map((d) => [d.device, d.members.map((m) => m.cell_id)])).toEqual([
      ["desktop", ["father", "nous"]],
      ["laptop", ["network-listener-laptop", "alpha"]],
      ["phone", ["beta"]],
    ]);
    expect(view.devices[1]!.members[1]).toEqual({
      cell_id: "alpha",
      role: "cell",
      level: 9,
      status: "down",
      last_heartbeat: "2026-06-01T09:00:00.000Z",
      transport: "bus",
    });
  });

  it("a device's bus link is up while one of its members heartbeats over the bus; an HTTP-only device has none", () => {
    expect(view.devices.map((d) => d.bus)).toEqual(["up", "down", "none"]);
  });

  it("mean level and coherence cover the cells up only (organelles and cells down left out)", () => {
    expect(view.cells_up).toBe(3);
    expect(view.mean_level).toBe(4);
    expect(view.coherence).toBeCloseTo(1 - Math.sqrt(((6 - 4) ** 2 + 0 + (2 - 4) ** 2) / 3) / 5, 4);
    expect(view.at).toBe("2026-06-01T09:00:01.000Z");
  });
});
