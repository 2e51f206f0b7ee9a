// Across devices over a link with latency that fails: the leaf (laptop) dials the hub (desktop)
// through a TCP proxy (test/helpers/link-proxy.ts) that holds every byte 40 ms each way and can
// cut the link. First the proxy itself; then real servers from the rendered configs, a cell on
// each side, and a cut in the middle of a stream of messages both ways: nothing is lost, nothing
// is stored twice, the outboxes drain and the views converge once the link heals. Timings are
// the bench's (`npm run bench -- link`); these check behaviour only.
import { createServer, connect, type Server as NetServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inbox, metric, send, startCell, waitPeer } from "../helpers/cells.ts";
import { startLinkProxy, type LinkProxy } from "../helpers/link-proxy.ts";
import { waitFor } from "../helpers/ports.ts";
import type { ServiceHandle } from "../helpers/service.ts";
import { hasTool } from "../helpers/tools.ts";
import { memberBusEnv, startLinkedBus, tempDirs, type LinkedBus } from "./rendered-nats.ts";

const DELAY_MS = 40;

describe("link proxy (test tooling)", () => {
  let echo: NetServer;
  let proxy: LinkProxy;
  beforeAll(async () => {
    echo = createServer((s) => s.on("error", () => undefined).pipe(s)); // the cut resets it
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
    proxy = await startLinkProxy({ port: (echo.address() as AddressInfo).port }, DELAY_MS);
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise((r) => echo.close(r));
  });

  const dial = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port: proxy.port }, () => resolve(s));
      s.on("error", reject); // after the connect, a reset by the link (the test waits for "close")
    });
  const received = (s: Socket, bytes: number): Promise<Buffer> =>
    new Promise((resolve) => {
      const parts: Buffer[] = [];
      let n = 0;
      s.on("data", (d: Buffer) => {
        parts.push(d);
        n += d.length;
        if (n >= bytes) resolve(Buffer.concat(parts));
      });
    });

  it("holds bytes in each direction (a round trip never takes less than twice the delay) and keeps their order", async () => {
    const s = await dial();
    const payload = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
    const back = received(s, payload.length);
    const t0 = performance.now();
    for (let i = 0; i < payload.length; i += 10_000) s.write(payload.subarray(i, i + 10_000));
    const got = await back;
    expect(performance.now() - t0).toBeGreaterThanOrEqual(2 * DELAY_MS);
    expect(got.equals(payload)).toBe(true);
    s.destroy();
  });

  it("a cut resets the connections through it and refuses new ones; healed, it lets them in again", async () => {
    const s = await dial();
    const closed = new Promise((r) => s.once("close", r));
    await waitFor("the proxy to hold the connection", () => proxy.connections() === 1);
    proxy.cut();
    await closed;
    const refused = await dial().then(
      (again) => new Promise((r) => again.once("close", () => r("closed"))),
      () => "refused",
    );
    expect(["refused", "closed"]).toContain(refused);
    expect(proxy.connections()).toBe(0);
    proxy.heal();
    const ok = await dial();
    const back = received(ok, 5);
    ok.write("hello");
    expect((await back).toString()).toBe("hello");
    ok.destroy();
  });
});

describe.runIf(hasTool("nats-server"))("cells on two devices over a 40 ms link that is cut", () => {
  const dirs = tempDirs("aios-link-");
  let bus: LinkedBus;
  let father: ServiceHandle; // the desktop's cell, on the hub
  let alpha: ServiceHandle; // the laptop's cell, on the leaf

  beforeAll(async () => {
    bus = await startLinkedBus([{ id: "father", role: "cell" }], [{ id: "alpha", role: "cell" }], DELAY_MS, dirs);
    father = await startCell(bus.hub.url, "father", { AIOS_DEVICE: "desktop", ...memberBusEnv("father") });
    alpha = await startCell(bus.leaf.url, "alpha", { AIOS_DEVICE: "laptop", ...memberBusEnv("alpha") });
    await waitPeer(father.url, "alpha", "up", 15_000);
    await waitPeer(alpha.url, "father", "up", 15_000);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([father?.kill(), alpha?.kill()]);
    await bus?.stop();
    dirs.removeAll();
  });

  it("loses nothing and stores nothing twice through a cut, then drains the outbox and converges the views", async () => {
    const sent: Record<"alpha" | "father", string[]> = { alpha: [], father: [] };
    let queued = 0;
    let stop = false;
    // 20 messages/s each way, until told to stop
    const stream = (async () => {
      for (let n = 0; !stop; n++) {
        const [from, to] = n % 2 ? ([alpha, "father"] as const) : ([father, "alpha"] as const);
        const r = await send(from.url, to, { n });
        sent[to].push(r.id);
        if (r.queued) queued++;
        await sleep(25);
      }
    })();
    await sleep(1000);
    bus.link.cut();
    // the laptop's cell notices that the hub's JetStream is gone, and queues
    await waitFor("alpha degraded", async () => (await (await fetch(`${alpha.url}/health`)).json()).status === "degraded", 15_000);
    await sleep(1000);
    bus.link.heal();
    await waitFor("alpha ok again", async () => (await (await fetch(`${alpha.url}/health`)).json()).status === "ok", 20_000);
    await sleep(500);
    stop = true;
    await stream;

    expect(queued).toBeGreaterThan(0);
    await waitFor("alpha's outbox to drain", async () => (await metric(alpha.url, "aios_outbox_pending")) === 0, 20_000);
    for (const [cell, ids] of [[father, sent.father], [alpha, sent.alpha]] as const) {
      const stored = await waitFor(`every message in ${cell.env.AIOS_CELL_ID}'s inbox`, async () => {
        const { messages } = await inbox(cell.url);
        return ids.every((id) => messages.some((m) => m.id === id)) && messages;
      }, 20_000).catch(async (err) => {
        const { messages } = await inbox(cell.url);
        const missing = ids.filter((id) => !messages.some((m) => m.id === id));
        throw new Error(`${(err as Error).message}: ${missing.length} of ${ids.length} missing, stored ${messages.length}; ${cell.output().slice(-3000)}`);
      });
      const counts = new Map<string, number>();
      for (const m of stored) counts.set(m.id, (counts.get(m.id) ?? 0) + 1);
      expect([...counts.values()].every((c) => c === 1)).toBe(true);
    }
    await waitPeer(father.url, "alpha", "up");
    await waitPeer(alpha.url, "father", "up");
  }, 90_000);
});
