// Several roles in one process (AIOS_ROLES, app/src/host.ts): each keeps its own port, health,
// metrics label, data directory and bus connection; a role that cannot start stops the process
// and names itself. The process runs for real on a real nats-server.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../app/src/config.ts";
import { hostedRoles } from "../../app/src/host.ts";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import { freePort, waitFor } from "../helpers/ports.ts";
import { hasTool } from "../helpers/tools.ts";
import { APP_MAIN, TEST_TOKEN } from "../helpers/service.ts";

const ORGANELLES = ["network-listener", "vscode-bridge", "consciousness-sync", "task-dispatcher"] as const;
const BASE = { AIOS_DEVICE: "laptop", AIOS_TOKEN: TEST_TOKEN };

const configError = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("no ConfigError");
};

describe("hostedRoles (the environment of each hosted role)", () => {
  it("is undefined without AIOS_ROLES: one role per process, as before", () => {
    expect(hostedRoles({ ...BASE, AIOS_ROLE: "vscode-bridge" })).toBeUndefined();
  });

  it("gives each role its default port and a data directory of its own, and its scoped variables", () => {
    const hosted = hostedRoles({
      ...BASE,
      AIOS_ROLES: "network-listener,task-dispatcher",
      AIOS_DATA_DIR: "/data",
      AIOS_NATS_TOKEN_FILE: "/run/secrets/nats-token",
      AIOS_NETWORK_LISTENER__PRIMARY_CELL_URL: "http://desktop:8000",
      AIOS_TASK_DISPATCHER__PORT: "4003",
      AIOS_TASK_DISPATCHER__NATS_TOKEN: "a-token-of-its-own-0123",
    })!;
    expect(hosted.map((h) => h.role)).toEqual(["network-listener", "task-dispatcher"]);
    const [listener, dispatcher] = hosted.map((h) => h.env);
    expect(listener).toMatchObject({ AIOS_ROLE: "network-listener", AIOS_PORT: "3000", AIOS_DATA_DIR: "/data/network-listener" });
    expect(listener!.AIOS_PRIMARY_CELL_URL).toBe("http://desktop:8000");
    expect(listener!.AIOS_NATS_TOKEN_FILE).toBe("/run/secrets/nats-token");
    expect(dispatcher).toMatchObject({ AIOS_ROLE: "task-dispatcher", AIOS_PORT: "4003", AIOS_DATA_DIR: "/data/task-dispatcher" });
    expect(dispatcher!.AIOS_PRIMARY_CELL_URL).toBeUndefined();
    // a bus credential of its own replaces the shared one (a token and a token file together are refused)
    expect(dispatcher!.AIOS_NATS_TOKEN).toBe("a-token-of-its-own-0123");
    expect(dispatcher!.AIOS_NATS_TOKEN_FILE).toBeUndefined();
  });

  it.each([
    ["an unknown role", { AIOS_ROLES: "network-listener,toaster" }, "AIOS_ROLES"],
    ["a cell", { AIOS_ROLES: "cell,vscode-bridge" }, "AIOS_ROLES"],
    ["a role twice", { AIOS_ROLES: "vscode-bridge,vscode-bridge" }, "AIOS_ROLES"],
    ["AIOS_ROLE and AIOS_ROLES", { AIOS_ROLE: "vscode-bridge", AIOS_ROLES: "vscode-bridge" }, "AIOS_ROLES"],
    ["a shared port", { AIOS_ROLES: "vscode-bridge", AIOS_PORT: "3001" }, "AIOS_PORT"],
    ["a scoped variable of a role not hosted", { AIOS_ROLES: "vscode-bridge", AIOS_TASK_DISPATCHER__PORT: "1" }, "AIOS_TASK_DISPATCHER__PORT"],
    ["a scoped variable of no role", { AIOS_ROLES: "vscode-bridge", AIOS_TOASTER__PORT: "1" }, "AIOS_TOASTER__PORT"],
  ])("refuses %s, naming the variable", (_what, env, variable) => {
    expect(configError(() => hostedRoles({ ...BASE, ...env })).variable).toBe(variable);
  });
});

describe.skipIf(!hasTool("nats-server"))("four organelles in one process", () => {
  let nats: NatsHandle;
  let monitor = 0;
  const procs: ChildProcess[] = [];
  const blockers: Server[] = [];

  beforeAll(async () => {
    monitor = await freePort();
    nats = await startNats(["-m", String(monitor)]);
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => stop(p)));
    await Promise.all(blockers.splice(0).map((b) => new Promise((r) => b.close(r))));
  });
  afterAll(async () => {
    await nats?.dispose();
  });

  const stop = (p: ChildProcess): Promise<void> =>
    new Promise((resolve) => {
      if (p.exitCode !== null || p.signalCode !== null) return resolve();
      p.once("exit", () => resolve());
      p.kill("SIGTERM");
    });

  /** The host process with every organelle on its own free port. */
  const startHost = async (extra: Record<string, string> = {}) => {
    const ports = Object.fromEntries(await Promise.all(ORGANELLES.map(async (r) => [r, await freePort()] as const)));
    const dataDir = mkdtempSync(join(tmpdir(), "aios-host-"));
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      ...BASE,
      AIOS_ROLES: ORGANELLES.join(","),
      AIOS_HOST: "127.0.0.1",
      AIOS_NATS_URLS: nats.url,
      AIOS_DATA_DIR: dataDir,
      AIOS_LOG_LEVEL: "warn",
      AIOS_MDNS: "off",
      ...Object.fromEntries(ORGANELLES.map((r) => [`AIOS_${r.toUpperCase().replace(/-/g, "_")}__PORT`, String(ports[r])])),
      ...extra,
    };
    let output = "";
    const proc = spawn(process.execPath, [APP_MAIN], { env, stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    proc.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    procs.push(proc);
    const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
    return { proc, ports, dataDir, env, exited, output: () => output };
  };

  it("serves every role on its own port, with its own health, metrics label, data directory and bus connection", async () => {
    const host = await startHost();
    for (const role of ORGANELLES) {
      const url = `http://127.0.0.1:${host.ports[role]}`;
      const health = await waitFor(`${role} /health ok`, async () => {
        const body = (await (await fetch(`${url}/health`)).json()) as { role: string; status: string; cell_id: string };
        return body.status === "ok" && body;
      }, 20_000);
      expect(health).toMatchObject({ role, cell_id: `${role}-laptop` });
      // the gauge turns 1 once the role's bus hooks ran, a moment after /health says ok
      const connected = new RegExp(`aios_bus_connected\\{[^}]*role="${role}"[^}]*\\} 1`);
      const metrics = await waitFor(`${role} connected in /metrics`, async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return connected.test(text) && text;
      }, 10_000);
      expect(metrics).not.toMatch(new RegExp(`role="(?!${role}")`));
    }
    // one process
    expect(new Set(procs.map((p) => p.pid)).size).toBe(1);
    // each role its own bus client, named for it
    const connz = (await (await fetch(`http://127.0.0.1:${monitor}/connz`)).json()) as { connections: { name?: string }[] };
    const names = connz.connections.map((c) => c.name);
    for (const role of ORGANELLES) expect(names).toContain(`${role}:${role}-laptop`);
    // consciousness-sync and network-listener save their views, each in its own directory
    await waitFor("saved views", () => ["consciousness-sync", "network-listener"].every((r) => readdirSync(join(host.dataDir, r)).length > 0), 10_000);
    for (const dir of readdirSync(host.dataDir)) expect(ORGANELLES).toContain(dir);
    // SIGTERM stops every role
    host.proc.kill("SIGTERM");
    expect(await host.exited).toBe(0);
  }, 40_000);

  it("stops, naming the role, when one role cannot start; no role keeps serving", async () => {
    const taken = createServer();
    blockers.push(taken);
    const port = await freePort();
    await new Promise<void>((r) => taken.listen(port, "127.0.0.1", r));
    const host = await startHost({ AIOS_TASK_DISPATCHER__PORT: String(port) });
    expect(await host.exited).toBe(1);
    expect(host.output()).toMatch(/aios: role task-dispatcher failed to start: .*EADDRINUSE/);
    for (const role of ORGANELLES.filter((r) => r !== "task-dispatcher")) {
      await expect(fetch(`http://127.0.0.1:${host.ports[role]}/health`)).rejects.toThrow();
    }
  }, 30_000);

  it("stops with a configuration error naming the scoped variable and the role", async () => {
    const host = await startHost({ AIOS_VSCODE_BRIDGE__BRIDGE_TIMEOUT_MS: "soon" });
    expect(await host.exited).toBe(78);
    expect(host.output()).toContain("aios: configuration error: AIOS_VSCODE_BRIDGE__BRIDGE_TIMEOUT_MS:");
    expect(host.output()).toContain("(role vscode-bridge)");
  }, 30_000);
});
