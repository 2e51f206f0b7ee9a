// app/Dockerfile, built for real by Debian's dockerd from a locally made Node 24 base image and
// run against a real nats-server on the host network: /health answers, the HEALTHCHECK turns
// healthy, the service runs unprivileged under tini, and `docker stop` ends it cleanly.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasTool } from "../helpers/tools.ts";
import { freePort, waitFor } from "../helpers/ports.ts";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import { TEST_TOKEN } from "../helpers/service.ts";
import { localBaseImage, startEngine, type Engine } from "./engine.ts";
import { parseConfig } from "../../infra/config.ts";
import { planServices } from "../../infra/plan.ts";
import { loadStackConfig } from "../infra/stack-config.ts";

const APP_DIR = resolve(import.meta.dirname, "../../app");
const BASE = "aios-test/node24-glibc:local";
const IMAGE = "aios-test/app:local";

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

  // The laptop's app services under the memory limits its stack gives them (docker --memory):
  // each must come up healthy, take a burst of requests and never be OOM-killed.
  it("runs every laptop app service within its stack's memory limit", async () => {
    const laptop = planServices(parseConfig(loadStackConfig("laptop")));
    const apps = laptop.filter((s) => s.role !== undefined);
    expect(apps.length).toBeGreaterThanOrEqual(5);
    const figures: string[] = [];
    for (const svc of apps) {
      const port = await freePort();
      const boxed = engine
        .docker([
          "run", "-d", "--network", "host", "--memory", `${svc.memoryMb}m`, "--memory-swap", `${svc.memoryMb}m`,
          "-e", `AIOS_ROLE=${svc.role}`, "-e", `AIOS_CELL_ID=mem-${svc.role}`, "-e", "AIOS_DEVICE=laptop",
          "-e", "AIOS_HOST=127.0.0.1", "-e", `AIOS_PORT=${port}`, "-e", "AIOS_MDNS=off",
          "-e", `AIOS_NATS_URLS=${nats.url}`, "-e", `AIOS_TOKEN=${TEST_TOKEN}`,
          IMAGE,
        ])
        .trim();
      try {
        await waitFor(`${svc.role} /health`, async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, 30_000, 250);
        for (let round = 0; round < 20; round++) {
          await Promise.all(
            Array.from({ length: 25 }, () => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text())),
          );
        }
        const used = engine.docker(["stats", "--no-stream", "--format", "{{.MemUsage}}", boxed]).trim();
        figures.push(`${svc.role}: ${used}`);
        expect(engine.docker(["inspect", "-f", "{{.State.OOMKilled}} {{.State.Running}}", boxed]).trim()).toBe("false true");
      } finally {
        engine.docker(["rm", "-f", boxed]);
      }
    }
    console.log(`memory in use after 500 requests (limit from Pulumi.laptop.yaml):\n  ${figures.join("\n  ")}`);
  }, 240_000);

  it("stops cleanly on docker stop (SIGTERM reaches node through tini)", () => {
    engine.docker(["stop", "-t", "20", container], { timeoutMs: 40_000 });
    expect(inspect("{{.State.ExitCode}}")).toBe("0");
  }, 60_000);
});
