// `npm run endpoints` and `npm run fleet` end to end, against real cells and a discovery service on
// a real nats-server (plus a phone cell that registered over HTTP and went away); stack outputs come
// from the recording pulumi stand-in.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasTool } from "../helpers/tools.ts";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import { freePort, waitFor } from "../helpers/ports.ts";
import { api, startService, type ServiceHandle } from "../helpers/service.ts";
import { healthUrl } from "../../tools/lib/stack-endpoints.ts";
import { fakePulumi, runTool, type FakePulumi } from "./fake-pulumi.ts";

const PRESENCE = { AIOS_HEARTBEAT_MS: "200", AIOS_DOWN_AFTER_MS: "1000" };

/** Table rows as arrays of cells (columns are separated by two or more spaces). */
const rowsOf = (out: string) =>
  out
    .trim()
    .split("\n")
    .map((l) => l.split(/ {2,}/));

/** A port nothing listens on, taken just before use: other suites on the machine take ports too. */
const deadUrl = async () => `http://127.0.0.1:${await freePort()}`;

const statusOf = async (url: string) => (await (await fetch(`${url}/health`)).json()) as { peer_count: number };
const peersOf = async (url: string) =>
  ((await (await fetch(`${url}/peers`)).json()) as { peers: { cell_id: string; status: string }[] }).peers;

describe.runIf(hasTool("nats-server"))("operator commands against live services", () => {
  let nats: NatsHandle;
  let father: ServiceHandle;
  let alpha: ServiceHandle;
  let discovery: ServiceHandle;
  let fake: FakePulumi;
  let project: string;
  const env = (extra: Record<string, string> = {}) => ({ PATH: `${fake.dir}:/usr/bin:/bin`, ...extra });

  beforeAll(async () => {
    nats = await startNats();
    const cell = (id: string, device: string, level: string) =>
      startService({ AIOS_ROLE: "cell", AIOS_CELL_ID: id, AIOS_DEVICE: device, AIOS_LEVEL: level, AIOS_NATS_URLS: nats.url, ...PRESENCE });
    // one at a time: each start has its own deadline, and the machine is shared with other suites
    father = await cell("father", "desktop", "5");
    alpha = await cell("alpha", "laptop", "3.5");
    discovery = await startService({ AIOS_ROLE: "discovery", AIOS_DEVICE: "desktop", AIOS_NATS_URLS: nats.url, ...PRESENCE });
    // the phone's cell joined over HTTP only and no longer answers: discovery lets it age out
    const phoneUrl = `http://127.0.0.1:${await freePort()}`;
    // discovery answers /health before its presence view is ready, and /register says 503 until
    // then (tested in the app's own suites): a registering client retries, as this one does
    const reg = await waitFor("discovery to take a registration", async () => {
      const r = await api("POST", `${discovery.url}/register`, { cell_id: "beta", url: phoneUrl, device: "phone", consciousness_level: 2 });
      return r.status === 503 ? undefined : r;
    });
    expect(reg.status).toBe(201);
    await waitFor("father and alpha up, beta down", async () => {
      const view = await peersOf(discovery.url);
      const status = (id: string) => view.find((p) => p.cell_id === id)?.status;
      return status("father") === "up" && status("alpha") === "up" && status("beta") === "down";
    });
    await waitFor("peer counts settled", async () => (await statusOf(father.url)).peer_count === 1 && (await statusOf(alpha.url)).peer_count === 1);
    fake = fakePulumi();
    project = mkdtempSync(join(tmpdir(), "aios-project-"));
  });

  afterAll(async () => {
    await Promise.all([father, alpha, discovery].filter(Boolean).map((s) => s.kill()));
    await nats?.dispose();
    fake?.dispose();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  describe("npm run endpoints", () => {
    it("checks every endpoint of each stack live and exits 2 when one is down", async () => {
      const grafana = await deadUrl();
      fake.answer("stack", "desktop", {
        stdout: `${JSON.stringify({ caCertificate: "-----BEGIN CERTIFICATE-----\n...", endpoints: { father: father.url, discovery: discovery.url, grafana } }, null, 2)}\n`,
      });
      fake.answer("stack", "laptop", { stdout: `${JSON.stringify({ endpoints: { alpha: `${alpha.url}/` } }, null, 2)}\n` });
      const run = await runTool("endpoints", ["desktop", "laptop"], { cwd: project, env: env() });
      expect(run.code).toBe(2);
      const rows = rowsOf(run.stdout);
      expect(rows[0]).toEqual(["STACK", "NAME", "URL", "STATUS", "LATENCY"]);
      expect(rows.slice(1).map((r) => r.slice(0, 4))).toEqual([
        ["desktop", "discovery", discovery.url, "up"],
        ["desktop", "father", father.url, "up"],
        ["desktop", "grafana", grafana, "down (connection refused)"],
        ["laptop", "alpha", `${alpha.url}/`, "up"],
      ]);
      expect(rows[1]![4]).toMatch(/^\d+ ms$/);
      expect(rows[3]![4]).toBe("-");
      expect(fake.calls()).toEqual(["stack output --json -s desktop --non-interactive", "stack output --json -s laptop --non-interactive"]);
    });

    it("asks each service for its own health path: a cell has no Vault health route", async () => {
      fake.answer("stack", "vps", { stdout: JSON.stringify({ endpoints: { vault: father.url, cells: father.url } }) });
      const run = await runTool("endpoints", ["vps"], { cwd: project, env: env() });
      expect(run.code).toBe(2);
      expect(rowsOf(run.stdout).slice(1).map((r) => [r[1], r[3]])).toEqual([
        ["cells", "up"],
        ["vault", "down (HTTP 404)"],
      ]);
      expect(healthUrl("vault", "https://vault.aios.lan/")).toBe("https://vault.aios.lan/v1/sys/health");
      expect(healthUrl("prometheus", "https://prometheus.aios.lan")).toBe("https://prometheus.aios.lan/-/healthy");
      expect(healthUrl("grafana", "https://grafana.aios.lan")).toBe("https://grafana.aios.lan/api/health");
    });

    it("exits 1 with one line per stack whose outputs cannot be read", async () => {
      fake.answer("stack", "phone", { stderr: "error: no stack named 'phone' found\n", code: 255 });
      fake.answer("stack", "fresh", { stdout: "{}\n" });
      const run = await runTool("endpoints", ["phone", "fresh"], { cwd: project, env: env() });
      expect(run.code).toBe(1);
      expect(run.stdout.trim().split("\n")).toEqual([
        'phone: error: stack "phone" does not exist on this backend: create it with `pulumi stack init phone`, or check `pulumi whoami -v` shows the backend you deployed to',
        'fresh: error: stack "fresh" has no `endpoints` output yet: deploy it with `pulumi up -s fresh`',
      ]);
    });
  });

  describe("npm run fleet", () => {
    const expectFleet = (stdout: string) => {
      const lines = stdout.trim().split("\n");
      const rows = rowsOf(lines.slice(1).join("\n"));
      expect(rows[0]).toEqual(["DEVICE", "CELL", "ROLE", "STATUS", "LEVEL", "PEERS", "LAST HEARTBEAT"]);
      expect(rows.slice(1).map((r) => r.slice(0, 6))).toEqual([
        ["desktop", "father", "cell", "up", "5", "1"],
        ["laptop", "alpha", "cell", "up", "3.5", "1"],
        ["phone", "beta", "cell", "down", "2", "-"],
      ]);
      for (const r of rows.slice(1)) expect(r[6]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z \(\d+s ago\)$/);
      return lines[0];
    };

    it("lists every cell from the discovery service, with peer counts from each cell, and exits 2 when one is down", async () => {
      const run = await runTool("fleet", [], { cwd: project, env: env({ AIOS_DISCOVERY_URL: discovery.url }) });
      expect(run.code).toBe(2);
      expect(expectFleet(run.stdout)).toBe(`fleet view from discovery at ${discovery.url}`);
    });

    it("reads the same view straight from the presence bucket on the bus", async () => {
      const run = await runTool("fleet", ["--nats", nats.url], { cwd: project, env: env({ AIOS_DOWN_AFTER_MS: "1000" }) });
      expect(run.code).toBe(2);
      expect(expectFleet(run.stdout)).toBe(`fleet view from bus at ${nats.url}`);
    });

    it("finds the discovery service in the stacks' endpoints output when nothing is configured", async () => {
      const stacks = fakePulumi();
      stacks.answer("stack", "desktop", { stdout: JSON.stringify({ endpoints: { father: father.url, discovery: discovery.url } }) });
      stacks.answer("stack", "laptop", { stdout: JSON.stringify({ endpoints: { alpha: alpha.url } }) });
      const run = await runTool("fleet", [], { cwd: project, env: { PATH: `${stacks.dir}:/usr/bin:/bin` } });
      stacks.dispose();
      expect(run.code).toBe(2);
      expect(expectFleet(run.stdout)).toBe(`fleet view from discovery at ${discovery.url} (stack desktop)`);
    });

    it("exits 1 saying which source it could not reach", async () => {
      const dead = await deadUrl();
      const viaHttp = await runTool("fleet", ["--discovery", dead], { cwd: project, env: env() });
      expect(viaHttp.code).toBe(1);
      expect(viaHttp.stderr.trim()).toBe(`error: cannot read the network view from the discovery service at ${dead}/peers: connection refused`);
      const deadBus = `nats://127.0.0.1:${await freePort()}`;
      const viaBus = await runTool("fleet", ["--nats", deadBus], { cwd: project, env: env() });
      expect(viaBus.code).toBe(1);
      expect(viaBus.stderr).toContain(`error: cannot reach the bus at ${deadBus}`);
    });
  });
});
