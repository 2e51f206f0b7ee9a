// A rehearsal of an update and a rollback on the real Docker engine with the app image: the
// desktop's two cells are replaced in the order the program gives (read off the program under
// Pulumi's mocks), each the way the Docker provider replaces a container the program marks
// deleteBeforeReplace with wait: stop with the grace period, remove, create the new one with the
// program's health check, wait until Docker reports it healthy. Meanwhile clients call through
// the cells' shared address, a stand-in for Traefik's cells.<domain> service built from the
// rendered config (test/docker/cells-proxy.ts): a client through the rendered route sees no
// failed request.
// The cells run on the host network with their token in the environment, as in image.test.ts;
// on a device they sit on the Docker networks and read their tokens from files. image.test.ts
// registers it, so the image is built once and the two never load the machine at the same time.
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, waitFor } from "../helpers/ports.ts";
import { TEST_TOKEN } from "../helpers/service.ts";
import { idOf, type Engine } from "./engine.ts";
import { startCellsProxy, type CellsProxy } from "./cells-proxy.ts";
import { parseConfig } from "../../infra/config.ts";
import { cellBackends, planServices } from "../../infra/plan.ts";
import { CELLS_SERVICE, renderTraefikDynamic } from "../../infra/render/traefik.ts";
import { parseRelease, renderRelease } from "../../infra/render/release.ts";
import { CONTAINER, containers } from "../infra/device-checks.ts";
import { runStack, unwrap } from "../infra/mock-stack.ts";
import { loadStackConfig } from "../infra/stack-config.ts";

const RUN = `aios-rehearsal-${process.pid}`;
const REPO = `${RUN}/app`;

interface Healthcheck {
  tests: string[];
  interval: string;
  timeout: string;
  retries: number;
  startPeriod: string;
}
interface CellPlan {
  name: string;
  healthcheck: Healthcheck;
  waitSeconds: number;
  graceSeconds: number;
  /** AIOS_DRAIN_MS as the program sets it. */
  drainMs: string;
}

/**
 * Clients calling the shared address until stopped: how many requests, how many failed. Two at
 * a time with a short pause, so the load stays small next to the other suites on this machine.
 */
function callUntilStopped(url: string, concurrency = 2) {
  let stopped = false;
  const seen = { ok: 0, failed: 0, byCell: new Map<string, number>(), errors: [] as string[] };
  const failed = (why: string) => {
    seen.failed++;
    if (seen.errors.length < 5) seen.errors.push(why);
  };
  const worker = async () => {
    while (!stopped) {
      try {
        // a route a user calls (a draining cell's /health says 503 on purpose)
        const res = await fetch(`${url}/peers`, { signal: AbortSignal.timeout(5000) });
        const body = (await res.json()) as { cell_id?: string };
        if (res.ok) {
          seen.ok++;
          seen.byCell.set(body.cell_id ?? "?", (seen.byCell.get(body.cell_id ?? "?") ?? 0) + 1);
        } else failed(`HTTP ${res.status}`);
      } catch (err) {
        failed(String((err as Error).cause ?? err));
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    seen,
    stop: async () => {
      stopped = true;
      await Promise.all(workers);
      return seen;
    },
  };
}

export interface Shared {
  engine: Engine;
  natsUrl: string;
  /** The app image the suite built. */
  image: string;
}

/** Registers the rehearsal in the calling suite, on its engine, bus and image (built once). */
export function rehearseRollout(shared: () => Shared): void {
  describe("a rolling update and a rollback of the desktop's cells", () => {
    let engine: Engine;
    let natsUrl = "";
    let order: CellPlan[] = [];
    const waves: CellPlan[][] = [];
    let ports = new Map<string, number>();
    let v1 = "";
    let v2 = "";
    const proxies: CellsProxy[] = [];
    const containerName = (cell: string) => `${RUN}-${cell}`;
    // the clients and the proxy share this process: docker runs without blocking them
    const docker = async (args: string[], timeoutMs = 60_000): Promise<string> =>
      (await promisify(execFile)("docker", args, { env: engine.env, encoding: "utf8", timeout: timeoutMs })).stdout;
    const imageOf = (cell: string) => engine.docker(["inspect", "-f", "{{.Image}}", containerName(cell)]).trim();

    const start = async (cell: CellPlan, image: string): Promise<void> => {
      const h = cell.healthcheck;
      const port = ports.get(cell.name)!;
      await docker([
        "run", "-d", "--name", containerName(cell.name), "--network", "host",
        "--health-cmd", h.tests.slice(1).join(" "), "--health-interval", h.interval, "--health-timeout", h.timeout,
        "--health-retries", String(h.retries), "--health-start-period", h.startPeriod,
        "-e", "AIOS_ROLE=cell", "-e", `AIOS_CELL_ID=${cell.name}`, "-e", "AIOS_DEVICE=desktop", "-e", "AIOS_HOST=127.0.0.1",
        "-e", `AIOS_PORT=${port}`, "-e", `AIOS_PUBLIC_URL=http://127.0.0.1:${port}`, "-e", "AIOS_MDNS=off",
        "-e", `AIOS_NATS_URLS=${natsUrl}`, "-e", `AIOS_TOKEN=${TEST_TOKEN}`, "-e", `AIOS_DRAIN_MS=${cell.drainMs}`,
        image,
      ]);
    };
    /** The provider's wait: inspect once a second until healthy, fail after waitTimeout. */
    const waitHealthy = async (cell: CellPlan): Promise<void> => {
      await waitFor(
        `${cell.name} healthy`,
        async () => (await docker(["inspect", "-f", "{{.State.Health.Status}}", containerName(cell.name)])).trim() === "healthy" || undefined,
        cell.waitSeconds * 1000,
        1000,
      );
    };
    /** One deleteBeforeReplace replacement as the provider runs it; returns seconds from stop to healthy. */
    const replace = async (cell: CellPlan, image: string): Promise<number> => {
      const t0 = Date.now();
      await docker(["stop", "-t", String(cell.graceSeconds), containerName(cell.name)], (cell.graceSeconds + 10) * 1000);
      await docker(["rm", "-f", containerName(cell.name)]);
      await start(cell, image);
      await waitHealthy(cell);
      return (Date.now() - t0) / 1000;
    };
    /**
     * Rolls the cells to `image` in the program's waves while clients call the shared address: a
     * wave is the cells the engine would replace together (none waits for another's creation).
     */
    const rehearse = async (image: string) => {
      const cfg = parseConfig(loadStackConfig("desktop"));
      const local = cellBackends(cfg).filter((b) => b.device === cfg.device);
      const rendered = renderTraefikDynamic({ domain: cfg.domain, services: planServices(cfg), cellBackends: local });
      const toPort = (url: string) => `http://127.0.0.1:${ports.get(new URL(url).hostname)!}`;
      const routed = await startCellsProxy(rendered, CELLS_SERVICE, toPort);
      proxies.push(routed);
      const client = callUntilStopped(routed.url);
      const took: string[] = [];
      for (const wave of waves) {
        const secs = await Promise.all(wave.map((cell) => replace(cell, image)));
        wave.forEach((cell, i) => took.push(`${cell.name} ${secs[i]!.toFixed(1)} s`));
      }
      const seen = await client.stop();
      return { seen, took, retries: routed.retries() };
    };

    beforeAll(async () => {
      // the program's own plan for the cells: replacement order, health check, timeouts
      const { resources } = await runStack("desktop", {}, { slow: ["father", "nous"] });
      const cfg = parseConfig(loadStackConfig("desktop"));
      order = containers(resources)
        .filter((c) => cfg.cells.some((x) => x.id === c.name))
        .sort((a, b) => a.startedAt - b.startedAt)
        .map((c) => {
          const i = unwrap(c.inputs) as { healthcheck: Healthcheck; waitTimeout: number; destroyGraceSeconds: number; envs: string[] };
          const drainMs = i.envs.find((e) => e.startsWith("AIOS_DRAIN_MS="))?.split("=")[1] ?? "0";
          return { name: c.name, healthcheck: i.healthcheck, waitSeconds: i.waitTimeout, graceSeconds: i.destroyGraceSeconds, drainMs };
        });
      // a cell whose registration began after the current wave's first answer waits for it: a new wave
      const cellsByStart = containers(resources)
        .filter((c) => order.some((o) => o.name === c.name))
        .sort((a, b) => a.startedAt - b.startedAt);
      let waveAnswered = Infinity;
      for (const c of cellsByStart) {
        const plan = order.find((o) => o.name === c.name)!;
        if (!waves.length || c.startedAt > waveAnswered) {
          waves.push([plan]);
          waveAnswered = c.answeredAt;
        } else {
          waves.at(-1)!.push(plan);
          waveAnswered = Math.min(waveAnswered, c.answeredAt);
        }
      }
      expect(resources.filter((r) => r.type === CONTAINER && order.some((o) => o.name === r.name)).every((r) => r.deleteBeforeReplace)).toBe(true);
      ports = new Map(await Promise.all(order.map(async (c) => [c.name, await freePort()] as const)));

      const given = shared();
      engine = given.engine;
      natsUrl = given.natsUrl;
      engine.docker(["tag", given.image, `${REPO}:build`]);
      v1 = idOf(engine, `${REPO}:build`);
      // a second release of the same code: another image id, no second build
      const tmp = engine.docker(["create", v1]).trim();
      v2 = engine.docker(["commit", "-c", "LABEL aios.rehearsal=v2", tmp]).trim();
      engine.docker(["rm", tmp]);
      for (const cell of order) await start(cell, v1);
      for (const cell of order) await waitHealthy(cell);
    }, 180_000);

    afterAll(async () => {
      await Promise.all(proxies.map((p) => p.close()));
      for (const cell of order) {
        try {
          engine.docker(["rm", "-f", containerName(cell.name)]);
        } catch {
          // never started
        }
      }
    }, 90_000);

    const release = (image: string) =>
      parseRelease(execFileSync("sh", ["-c", renderRelease(REPO)], { env: { ...engine.env, IMAGE: image }, encoding: "utf8" }));

    it("the program replaces father, then nous", () => {
      expect(waves.map((w) => w.map((c) => c.name))).toEqual([["father"], ["nous"]]);
    });

    it("rolls both cells to a new image while a client through cells.<domain> sees no failed request", async () => {
      const r = await rehearse(v2);
      console.log(
        `rolling update, cells one at a time (stop to healthy, health check every ${order[0]!.healthcheck.interval}, ` +
          `2 shared cores under other tests' load): ${r.took.join(", ")}; through the route: ${r.seen.ok} ok, ${r.seen.failed} failed, ` +
          `${r.retries} retried on the other cell` +
          (r.seen.errors.length ? `; failures: ${r.seen.errors.join(" | ")}` : ""),
      );
      expect(order.map((c) => imageOf(c.name))).toEqual([v2, v2]);
      expect(r.seen.failed).toBe(0);
      expect(r.seen.byCell.get("father")).toBeGreaterThan(0);
      expect(r.seen.byCell.get("nous")).toBeGreaterThan(0);
    }, 300_000);

    it("the release step keeps the good image and the one before it, and changes nothing when run again", () => {
      expect(release(v1)).toEqual({ good: v1, previous: "" });
      expect(release(v2)).toEqual({ good: v2, previous: v1 });
      expect(release(v2)).toEqual({ good: v2, previous: v1 });
      expect(idOf(engine, `${REPO}:good`)).toBe(v2);
      expect(idOf(engine, `${REPO}:previous`)).toBe(v1);
      // still there after pruning dangling images, with the build tag moved away
      engine.docker(["tag", v2, `${REPO}:build`]);
      engine.docker(["image", "prune", "-f"]);
      expect(idOf(engine, `${REPO}:previous`)).toBe(v1);
    });

    it("rolls back to the previous image kept on the device, without a build and without a failed request", async () => {
      const previous = release(v2).previous;
      const r = await rehearse(previous);
      console.log(`rollback to the kept image: ${r.took.join(", ")}; through the route: ${r.seen.ok} ok, ${r.seen.failed} failed`);
      expect(order.map((c) => imageOf(c.name))).toEqual([v1, v1]);
      expect(r.seen.failed).toBe(0);
    }, 300_000);
  });
}
