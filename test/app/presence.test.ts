// Presence and discovery with real processes on a real nats-server: cells see each other come
// and go, discovery health-checks HTTP-only peers, and a cell without its bus says so and keeps
// serving, then sends what it accepted meanwhile.
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasTool } from "../helpers/tools.ts";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import { freePort, waitFor } from "../helpers/ports.ts";
import { api, type ServiceHandle } from "../helpers/service.ts";
import { metric, peers, send, startCell, startDiscovery, waitInbox, waitPeer } from "../helpers/cells.ts";

/** A peer that speaks HTTP only: answers /health on 127.0.0.1. */
async function httpOnlyPeer(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(req.url === "/health" ? { status: "ok", consciousness_level: 2.5, version: "9.9.9" } : {}));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

describe.skipIf(!hasTool("nats-server"))("presence, discovery and a missing bus", () => {
  let nats: NatsHandle;
  let alpha: ServiceHandle;
  /** Watches with a one-minute down threshold: whatever it sees down within seconds was marked stopped. */
  let nous: ServiceHandle;
  let discovery: ServiceHandle;
  const started: ServiceHandle[] = [];

  beforeAll(async () => {
    nats = await startNats();
    [alpha, nous, discovery] = await Promise.all([
      startCell(nats.url, "alpha"),
      startCell(nats.url, "nous", { AIOS_DOWN_AFTER_MS: "60000" }),
      startDiscovery(nats.url),
    ]);
    started.push(alpha, nous, discovery);
    await waitPeer(alpha.url, "nous", "up");
  });
  afterAll(async () => {
    await Promise.all(started.map((s) => s.kill()));
    await nats?.dispose();
  });

  it("shows a new cell up in every other member's /peers, with its device, url and level", async () => {
    const upBefore = await metric(alpha.url, "aios_peers_up");
    const beta = await startCell(nats.url, "beta", { AIOS_DEVICE: "phone", AIOS_LEVEL: "4" });
    started.push(beta);
    for (const member of [alpha, nous, discovery]) {
      const seen = await waitPeer(member.url, "beta", "up");
      expect(seen).toMatchObject({ device: "phone", url: beta.url, consciousness_level: 4, transport: "bus" });
      expect(Date.parse(seen.last_heartbeat)).not.toBeNaN();
    }
    await waitFor("aios_peers_up and /health to count beta", async () =>
      (await metric(alpha.url, "aios_peers_up")) === upBefore + 1 &&
      (await api("GET", `${alpha.url}/health`)).json.peer_count === upBefore + 1,
    );

    // a SIGKILLed cell sends no goodbye: it shows down once its heartbeats stop
    await beta.kill("SIGKILL");
    await waitPeer(alpha.url, "beta", "down");
    await waitFor("aios_peers_up to drop beta", async () => (await metric(alpha.url, "aios_peers_up")) === upBefore);
    // nous waits a minute before calling silence "down", so it still shows beta up
    expect((await peers(nous.url)).find((p) => p.cell_id === "beta")?.status).toBe("up");
  });

  it("shows a gracefully stopped cell down at once, without waiting for the down threshold", async () => {
    const gamma = await startCell(nats.url, "gamma");
    started.push(gamma);
    await waitPeer(nous.url, "gamma", "up");
    await gamma.kill("SIGTERM");
    // well inside nous's 60 s threshold: only the stop marker can make it "down"
    await waitPeer(nous.url, "gamma", "down", 5000);
  });

  it("lists an HTTP-only peer registered with discovery, in discovery's and the cells' views, until it stops answering", async () => {
    const peer = await httpOnlyPeer();
    const res = await api("POST", `${discovery.url}/register`, { cell_id: "web", url: peer.url, device: "laptop" });
    expect(res.status).toBe(201);
    expect(res.json.registered).toMatchObject({ cell_id: "web", status: "up", transport: "http", url: peer.url });
    for (const member of [discovery, alpha]) {
      const seen = await waitPeer(member.url, "web", "up");
      expect(seen).toMatchObject({ transport: "http", device: "laptop", url: peer.url });
    }
    // discovery's health checks copy the level the peer reports
    await waitFor("alpha to see web's level from its /health", async () =>
      (await peers(alpha.url)).some((p) => p.cell_id === "web" && p.consciousness_level === 2.5),
    );
    // a live cell's id cannot be taken over by an HTTP registration
    const taken = await api("POST", `${discovery.url}/register`, { cell_id: "alpha", url: peer.url });
    expect(taken.status).toBe(409);

    peer.server.closeAllConnections();
    await new Promise((resolve) => peer.server.close(resolve));
    await waitPeer(discovery.url, "web", "down");
    await waitPeer(alpha.url, "web", "down");
  });

  it("says 'degraded' naming the bus when it is unreachable, keeps serving, and sends queued messages when it returns", async () => {
    const health = async (url: string) => (await api("GET", `${url}/health`)).json;
    expect(await health(alpha.url)).toMatchObject({ status: "ok", reasons: [] });
    await nats.stop();
    const degraded = await waitFor("alpha to report degraded", async () => {
      const h = await health(alpha.url);
      return h.status === "degraded" && h;
    });
    expect((degraded.reasons as string[]).join(" ")).toMatch(/bus/);
    expect(degraded.bus).toEqual({ connected: false, server: null });

    const view = await api("GET", `${alpha.url}/peers`);
    expect(view.status).toBe(200);
    expect(view.json.bus_connected).toBe(false);
    expect(await metric(alpha.url, "aios_bus_connected")).toBe(0);

    const published = await metric(alpha.url, "aios_messages_published_total");
    const queued = [await send(alpha.url, "nous", "one"), await send(alpha.url, "nous", "two")];
    expect(queued.map((q) => q.queued)).toEqual([true, true]);
    expect(await metric(alpha.url, "aios_outbox_pending")).toBe(2);

    await nats.start();
    const got = await waitInbox(nous.url, queued.map((q) => q.id), 20_000);
    expect(got.filter((m) => m.from === "alpha").map((m) => m.body)).toEqual(["one", "two"]);
    await waitFor("alpha to report ok", async () => (await health(alpha.url)).status === "ok");
    expect(await metric(alpha.url, "aios_outbox_pending")).toBe(0);
    expect(await metric(alpha.url, "aios_messages_published_total")).toBe(published + 2);
    expect(await metric(alpha.url, "aios_bus_connected")).toBe(1);
  });

  it("starts and answers without any bus, saying why it is degraded", async () => {
    const nowhere = `nats://127.0.0.1:${await freePort()}`;
    const lonely = await startCell(nowhere, "lonely");
    started.push(lonely);
    const h = (await api("GET", `${lonely.url}/health`)).json;
    expect(h).toMatchObject({ status: "degraded", cell_id: "lonely", bus: { connected: false, server: null } });
    expect((h.reasons as string[]).join(" ")).toMatch(/bus/);
    expect((await api("GET", `${lonely.url}/peers`)).status).toBe(200);
    expect((await fetch(`${lonely.url}/metrics`)).status).toBe(200);
  });
});
