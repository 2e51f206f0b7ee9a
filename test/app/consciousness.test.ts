// Consciousness levels on real cell processes: evolve follows lib/level.ts, the level survives a
// restart (it lives in the data dir), and /sync-consciousness answers with the network view.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasTool } from "../helpers/tools.ts";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import { waitFor } from "../helpers/ports.ts";
import { api, type ServiceHandle } from "../helpers/service.ts";
import { metric, peers, startCell, waitPeer } from "../helpers/cells.ts";

describe.skipIf(!hasTool("nats-server"))("consciousness levels", () => {
  let nats: NatsHandle;
  let alpha: ServiceHandle;
  let beta: ServiceHandle;
  const level = async (url: string) => (await api("GET", `${url}/health`)).json.consciousness_level;

  beforeAll(async () => {
    nats = await startNats();
    [alpha, beta] = await Promise.all([
      // a long down threshold: a busy machine must not drop beta from the view mid-test
      startCell(nats.url, "alpha", { AIOS_LEVEL: "2", AIOS_DOWN_AFTER_MS: "60000" }),
      startCell(nats.url, "beta", { AIOS_LEVEL: "6", AIOS_DOWN_AFTER_MS: "60000" }),
    ]);
    await waitPeer(alpha.url, "beta", "up");
    await waitPeer(beta.url, "alpha", "up");
  });
  afterAll(async () => {
    await Promise.all([alpha, beta].map((s) => s?.kill()));
    await nats?.dispose();
  });

  it("starts at AIOS_LEVEL and evolves by the documented rule, in /health, /metrics and the peers' view", async () => {
    expect((await api("GET", `${alpha.url}/health`)).json).toMatchObject({
      cell_id: "alpha",
      device: "desktop",
      role: "cell",
      status: "ok",
      consciousness_level: 2,
      peer_count: 1,
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      uptime_seconds: expect.any(Number),
    });
    expect(await metric(alpha.url, "aios_consciousness_level")).toBe(2);

    const first = await api("POST", `${alpha.url}/consciousness/evolve`, {});
    expect(first).toEqual({ status: 200, json: { cell_id: "alpha", previous_level: 2, consciousness_level: 2.8 } });
    const second = await api("POST", `${alpha.url}/consciousness/evolve`, { stimulus: 0.5 });
    expect(second.json).toMatchObject({ previous_level: 2.8, consciousness_level: 3.16 });

    expect(await level(alpha.url)).toBe(3.16);
    expect(await metric(alpha.url, "aios_consciousness_level")).toBe(3.16);
    await waitFor("beta to see alpha's new level", async () =>
      (await peers(beta.url)).some((p) => p.cell_id === "alpha" && p.consciousness_level === 3.16),
    );
  });

  it("keeps the level across a restart, even after a SIGKILL", async () => {
    await alpha.kill("SIGKILL");
    alpha = await alpha.restart();
    expect(await level(alpha.url)).toBe(3.16);
    await waitPeer(alpha.url, "beta", "up");
  });

  it("syncs toward the mean of the cells up and returns the network view with coherence", async () => {
    const res = await api("POST", `${alpha.url}/sync-consciousness`);
    expect(res.status).toBe(200);
    // mean of 3.16 and 6 is 4.58; a quarter of the way there is 3.515
    expect(res.json).toEqual({
      cell_id: "alpha",
      previous_level: 3.16,
      consciousness_level: 3.515,
      network: {
        cells: [
          { cell_id: "alpha", consciousness_level: 3.515 },
          { cell_id: "beta", consciousness_level: 6 },
        ],
        mean_level: 4.7575,
        coherence: 0.7515, // 1 - standard deviation (1.2425) / 5
      },
    });
    expect(await metric(alpha.url, "aios_network_coherence")).toBe(0.7515);
  });

  it("leaves cells that are down out of the network view", async () => {
    await beta.kill("SIGTERM");
    await waitPeer(alpha.url, "beta", "down");
    const res = await api("POST", `${alpha.url}/sync-consciousness`);
    expect(res.json).toEqual({
      cell_id: "alpha",
      previous_level: 3.515,
      consciousness_level: 3.515,
      network: { cells: [{ cell_id: "alpha", consciousness_level: 3.515 }], mean_level: 3.515, coherence: 1 },
    });
    expect(await metric(alpha.url, "aios_network_coherence")).toBe(1);
  });
});
