// The bus across devices, for real: a hub nats-server and a leaf nats-server started from the
// rendered configs (test ports on 127.0.0.1, each member its own user with the rendered
// permissions, the leaf its own link credential), a cell on each, and the
// network's one JetStream on the hub. Then the leaf's link to the hub is cut (the hub stops):
// the leaf's cell keeps answering, says degraded, queues, and delivers once the hub is back.
// The laptop's task dispatcher (an organelle) uses the same store through the leaf.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NatsListen, NatsOptions, NatsRole } from "../../infra/render/nats.ts";
import { inbox, send, startCell, waitInbox, waitPeer } from "../helpers/cells.ts";
import { startDispatcher, submit, waitCellReady, waitTask } from "../organelles/helpers.ts";
import { waitFor } from "../helpers/ports.ts";
import { api, type ServiceHandle } from "../helpers/service.ts";
import { hasTool } from "../helpers/tools.ts";
import { busUsers, leafLinked as linked, leafOf, leafUserOf, listenOn, memberBusEnv, monitor, renderedServer, tempDirs, type Server } from "./rendered-nats.ts";

/** The laptop's members, on the leaf; the desktop's cell is on the hub. */
const LAPTOP = [
  { id: "alpha", role: "cell" },
  { id: "task-dispatcher-laptop", role: "task-dispatcher" },
] as const;
const FLEET = [{ id: "father", role: "cell" } as const, ...LAPTOP];
/** Both servers list the same members (as every stack derives them from the one root). */
const USERS = busUsers(FLEET);

/** A nats-server run from the rendered main file and secrets file. */
const natsServer = (dir: string, listen: NatsListen, main: NatsOptions, role: NatsRole): Server => renderedServer(dir, listen, main, role, USERS);

const health = async (cell: ServiceHandle) => (await api("GET", `${cell.url}/health`)).json as { status: string; reasons: string[] };

describe.runIf(hasTool("nats-server"))("one bus across a hub and a leaf (rendered configs, real servers and cells)", () => {
  const dirs = tempDirs("aios-hub-leaf-");
  const tempDir = dirs.make;
  let hub: Server;
  let leaf: Server;
  let father: ServiceHandle; // on the hub's server (the desktop)
  let alpha: ServiceHandle; // on the leaf's server (the laptop)

  const leafLinked = (): Promise<unknown> => linked(leaf);

  beforeAll(async () => {
    const hubListen = await listenOn();
    const hubDir = tempDir();
    hub = natsServer(hubDir, hubListen, { mode: "hub", serverName: "desktop", storeDir: join(hubDir, "store") }, { mode: "hub", leaves: [leafUserOf("laptop", [...LAPTOP], FLEET)] });
    leaf = natsServer(tempDir(), await listenOn(), { mode: "leaf", serverName: "laptop" }, { mode: "leaf", hubHost: "127.0.0.1", hubLeafPort: hubListen.leaf, credential: leafOf("laptop") });
    await hub.start();
    await leaf.start();
    await leafLinked();
    // One process at a time: the test machines have two cores.
    father = await startCell(hub.url, "father", { AIOS_DEVICE: "desktop", ...memberBusEnv("father") });
    alpha = await startCell(leaf.url, "alpha", { AIOS_DEVICE: "laptop", ...memberBusEnv("alpha") });
  }, 45_000);

  afterAll(async () => {
    await Promise.all([father?.kill(), alpha?.kill()]);
    await Promise.all([leaf?.stop(), hub?.stop()]);
    dirs.removeAll();
  });

  // First, while each consumer still has the pull it made at start. A hub back within a second
  // (a crash, then its restart policy) leaves the leaf's cell connected to its own leaf server
  // all along and its JetStream probe (every 2 s) noticing nothing, while its pulls died with
  // the hub: it has to find out from the pulls' missed heartbeats.
  it("after a hub restart too short for the probe, the leaf's cell still receives", async () => {
    await hub.stop();
    await hub.start();
    await leafLinked();
    const sent = await send(father.url, "alpha", "after a quick hub restart");
    const got = await waitInbox(alpha.url, [sent.id], 15_000);
    expect(got.filter((m) => m.id === sent.id)).toHaveLength(1);
  }, 60_000);

  it("the leaf runs no JetStream of its own: the one store is the hub's", async () => {
    expect(leaf.output()).not.toContain("Starting JetStream");
    expect(hub.output()).toContain("Starting JetStream");
    const jsz = await monitor(hub, "/jsz");
    expect(jsz.streams).toBeGreaterThanOrEqual(2); // KV_aios_presence and AIOS_MESSAGES, created by both cells
  });

  it("each cell sees the other up, across the leaf link", async () => {
    const seenByFather = await waitPeer(father.url, "alpha", "up");
    const seenByAlpha = await waitPeer(alpha.url, "father", "up");
    expect(seenByFather.device).toBe("laptop");
    expect(seenByAlpha.device).toBe("desktop");
    expect((await health(alpha)).status).toBe("ok");
  });

  it("delivers messages both ways between the leaf's cell and the hub's cell", async () => {
    const up = await send(alpha.url, "father", { from: "the laptop" });
    const down = await send(father.url, "alpha", { from: "the desktop" });
    expect([up.queued, down.queued]).toEqual([false, false]);
    expect((await waitInbox(father.url, [up.id])).find((m) => m.id === up.id)).toMatchObject({ from: "alpha", body: { from: "the laptop" } });
    expect((await waitInbox(alpha.url, [down.id])).find((m) => m.id === down.id)).toMatchObject({ from: "father", body: { from: "the desktop" } });
    // and both acked them, the leaf's cell through its leaf link: nothing waits for an ack
    const ackPending = async (): Promise<number[]> => {
      const jsz = (await monitor(hub, "/jsz?consumers=true")) as { account_details?: { stream_detail?: { name: string; consumer_detail?: { name: string; num_ack_pending: number }[] }[] }[] };
      const consumers = (jsz.account_details ?? []).flatMap((a) => a.stream_detail ?? []).filter((st) => st.name === "AIOS_MESSAGES").flatMap((st) => st.consumer_detail ?? []);
      return ["inbox-father", "inbox-alpha"].map((n) => consumers.find((c) => c.name === n)?.num_ack_pending ?? -1);
    };
    await waitFor("both inboxes to have acked", async () => (await ackPending()).every((n) => n === 0), 5_000);
  });

  it("the laptop's task dispatcher sees the cells of both devices and runs a task through the hub's store", async () => {
    const dispatcher = await startDispatcher(leaf.url, { AIOS_DEVICE: "laptop", ...memberBusEnv("task-dispatcher-laptop") });
    try {
      await waitCellReady(dispatcher.url, "father");
      await waitCellReady(dispatcher.url, "alpha");
      const id = await submit(dispatcher.url, { task_type: "echo", payload: { message: "across devices" } });
      const done = await waitTask(dispatcher.url, id, "completed", (t) => t.status === "completed");
      expect(["father", "alpha"]).toContain(done.assigned_to);
      // every member did all of this within its own permissions
      for (const s of [hub, leaf]) expect(s.output()).not.toMatch(/Violation/);
    } finally {
      await dispatcher.kill();
    }
  });

  it("with the link cut, the leaf's cell answers degraded and queues; when the hub returns it recovers and delivers", async () => {
    await hub.stop();
    const degraded = await waitFor("alpha to report degraded", async () => {
      const h = await health(alpha);
      return h.status === "degraded" && h;
    });
    expect(degraded.reasons.join(" ")).toMatch(/JetStream/);
    const queued = await send(alpha.url, "father", "sent while the hub is away");
    expect(queued.queued).toBe(true);

    await hub.start();
    await leafLinked();
    await waitFor("alpha to report ok again", async () => (await health(alpha)).status === "ok", 15_000);
    const got = await waitInbox(father.url, [queued.id], 15_000);
    expect(got.filter((m) => m.id === queued.id)).toHaveLength(1);
    // The view and the inbox keep working after the outage, not only the queued message.
    await waitPeer(alpha.url, "father", "up");
    await waitPeer(father.url, "alpha", "up");
    const after = await send(father.url, "alpha", "after the outage");
    expect(after.queued).toBe(false);
    await waitInbox(alpha.url, [after.id]);
    expect((await inbox(alpha.url)).messages.filter((m) => m.id === after.id)).toHaveLength(1);
  }, 60_000);
});
