// app/Dockerfile, built for real by Debian's dockerd from a locally made Node 24 base image and
// run against a real nats-server on the host network: /health answers, the HEALTHCHECK turns
// healthy, the service runs unprivileged under tini, and `docker stop` ends it cleanly.
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasTool } from "../helpers/tools.ts";
import { freePort, waitFor } from "../helpers/ports.ts";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import { TEST_TOKEN } from "../helpers/service.ts";
import { localBaseImage, peakMemoryMb, startEngine, type Engine } from "./engine.ts";
import { parseConfig } from "../../infra/config.ts";
import { containerSpecs, planServices } from "../../infra/plan.ts";
import { scopePrefix } from "../../app/src/host.ts";
import { loadStackConfig } from "../infra/stack-config.ts";

const APP_DIR = resolve(import.meta.dirname, "../../app");
const BASE = "aios-test/node24-glibc:local";
const IMAGE = "aios-test/app:local";
const LOAD_MS = 6000;

describe.skipIf(!hasTool("dockerd") || !hasTool("nats-server"))("app/Dockerfile", () => {
  let engine: Engine;
  let nats: NatsHandle;
  let container = "";
  let url = "";
  const inspect = (format: string): string => engine.docker(["inspect", "-f", format, container]).trim();

  beforeAll(async () => {
    engine = await startEngine();
    nats = await startNats();
    localBaseImage(engine, BASE);
    // --network host: npm ci reaches the registry as this machine does
    engine.docker(["build", "--network", "host", "--build-arg", `NODE_IMAGE=${BASE}`, "-t", IMAGE, APP_DIR], {
      timeoutMs: 240_000,
    });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    container = engine
      .docker([
        "run", "-d", "--network", "host", "--health-interval", "2s", "--health-start-period", "1s",
        "-e", "AIOS_ROLE=cell", "-e", "AIOS_CELL_ID=boxed", "-e", "AIOS_DEVICE=desktop",
        "-e", "AIOS_HOST=127.0.0.1", "-e", `AIOS_PORT=${port}`, "-e", `AIOS_PUBLIC_URL=${url}`,
        "-e", `AIOS_NATS_URLS=${nats.url}`, "-e", `AIOS_TOKEN=${TEST_TOKEN}`,
        IMAGE,
      ])
      .trim();
  }, 300_000);

  afterAll(async () => {
    if (container) engine.docker(["rm", "-f", container]);
    await nats?.dispose();
    await engine?.stop();
  }, 60_000);

  it("serves /health, connected to the bus", async () => {
    const health = await waitFor(
      "the container's /health",
      async () => {
        const res = await fetch(`${url}/health`);
        const body = (await res.json()) as { status: string; cell_id: string; role: string };
        return body.status === "ok" && body;
      },
      30_000,
      250,
    );
    expect(health).toMatchObject({ cell_id: "boxed", role: "cell" });
  });

  it("its HEALTHCHECK turns healthy", async () => {
    const status = await waitFor("health status healthy", () => inspect("{{.State.Health.Status}}") === "healthy" || undefined, 45_000, 500);
    expect(status).toBe(true);
  }, 60_000);

  it("runs unprivileged with tini as PID 1", () => {
    const pid = inspect("{{.State.Pid}}");
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    expect(status).toMatch(/^Uid:\s+1000\s/m);
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0]).toMatch(/tini$/);
  });

  it("holds production dependencies only", () => {
    const listing = engine.docker([
      "run", "--rm", "--entrypoint", "node", IMAGE, "-e",
      "console.log(require('fs').readdirSync('/app/node_modules').join(' '))",
    ]);
    const installed = listing.trim().split(" ");
    const pkg = JSON.parse(readFileSync(`${APP_DIR}/package.json`, "utf8")) as { dependencies: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies)) expect(installed).toContain(dep.split("/")[0]);
    for (const devTool of ["typescript", "vitest", "eslint", "@types"]) expect(installed).not.toContain(devTool);
  });

  it("ships the fleet map's page next to dist/, as the discovery role reads it", () => {
    const listing = engine.docker([
      "run", "--rm", "--entrypoint", "node", IMAGE, "-e",
      "console.log(require('fs').readdirSync('/app/public').sort().join(' '))",
    ]);
    expect(listing.trim().split(" ")).toEqual(readdirSync(`${APP_DIR}/public`).sort());
  });

  // The laptop's app containers under the memory limits its stack gives them (docker --memory),
  // with the image's health probe running every second: each must stay up and healthy through
  // seconds of requests 25 at a time, and never be killed by the kernel. At 64 MB, or with V8's
  // heap left uncapped, organelles were killed within seconds of such a load. The organelle host
  // runs all four roles in its one process, and the load goes to all four at once.
  it("runs every laptop app container under load within its stack's memory limit", async () => {
    const laptop = containerSpecs(planServices(parseConfig(loadStackConfig("laptop"))));
    const apps = laptop.filter((s) => s.role !== undefined || s.hosts);
    expect(apps.map((s) => s.name).sort()).toEqual(["alpha", "organelles"]);
    const figures: string[] = [];
    for (const svc of apps) {
      const roles = svc.hosts ? svc.hosts.map((h) => h.role!) : [svc.role!];
      const ports = await Promise.all(roles.map(() => freePort()));
      const roleEnv = svc.hosts
        ? [`AIOS_ROLES=${roles.join(",")}`, ...roles.map((r, i) => `${scopePrefix(r)}PORT=${ports[i]}`)]
        : [`AIOS_ROLE=${svc.role}`, `AIOS_CELL_ID=mem-${svc.role}`, `AIOS_PORT=${ports[0]}`];
      const boxed = engine
        .docker([
          "run", "-d", "--network", "host", "--memory", `${svc.memoryMb}m`, "--memory-swap", `${svc.memoryMb}m`,
          "--health-interval", "1s", "--health-start-period", "1s",
          ...roleEnv.flatMap((e) => ["-e", e]),
          "-e", "AIOS_DEVICE=laptop", "-e", "AIOS_HOST=127.0.0.1", "-e", "AIOS_MDNS=off",
          "-e", `AIOS_NATS_URLS=${nats.url}`, "-e", `AIOS_TOKEN=${TEST_TOKEN}`,
          IMAGE,
        ])
        .trim();
      const state = (): string => engine.docker(["inspect", "-f", "{{.State.OOMKilled}} {{.State.Running}} {{.State.Health.Status}}", boxed]).trim();
      try {
        for (const [i, role] of roles.entries()) {
          await waitFor(`${role} /health`, async () => (await fetch(`http://127.0.0.1:${ports[i]}/health`)).ok, 30_000, 250);
        }
        const pid = engine.docker(["inspect", "-f", "{{.State.Pid}}", boxed]).trim();
        let served = 0;
        try {
          for (const until = Date.now() + LOAD_MS; Date.now() < until; served += 25) {
            // spread over every role of the container
            await Promise.all(Array.from({ length: 25 }, (_, n) => fetch(`http://127.0.0.1:${ports[n % ports.length]}/metrics`).then((r) => r.text())));
          }
        } catch (err) {
          throw new Error(`${svc.name} (limit ${svc.memoryMb} MB) stopped answering after ${served} requests; OOMKilled, running, health: ${state()}`, { cause: err });
        }
        const peak = peakMemoryMb(pid);
        figures.push(`${svc.name} (${roles.join(", ")}): peak ${peak === undefined ? "?" : peak.toFixed(0)} MiB of ${svc.memoryMb}, ${served} requests`);
        // healthy: the probe found every role answering
        await waitFor(`${svc.name} healthy`, () => state() === "false true healthy" || undefined, 10_000, 250);
        for (const [i, role] of roles.entries()) {
          const body = (await (await fetch(`http://127.0.0.1:${ports[i]}/health`)).json()) as { role: string; status: string };
          expect(body, role).toMatchObject({ role, status: "ok" });
        }
      } finally {
        engine.docker(["rm", "-f", boxed]);
      }
    }
    console.log(`memory under ${LOAD_MS / 1000} s of load, health probe every second (limits from Pulumi.laptop.yaml):\n  ${figures.join("\n  ")}`);
  }, 240_000);

  it("stops cleanly on docker stop (SIGTERM reaches node through tini)", () => {
    engine.docker(["stop", "-t", "20", container], { timeoutMs: 40_000 });
    expect(inspect("{{.State.ExitCode}}")).toBe("0");
  }, 60_000);
});
