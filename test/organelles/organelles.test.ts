// vscode-bridge, consciousness-sync and network-listener around one real cell on a real
// nats-server: end to end, through a restart of the organelles with the bus down, and with the
// cell gone. One group, started once, because each process start costs seconds on small machines.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasTool } from "../helpers/tools.ts";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import { api, type ServiceHandle } from "../helpers/service.ts";
import { waitFor } from "../helpers/ports.ts";
import { startCell, startRole, stopAll } from "./helpers.ts";
import { fakeCompletions } from "../helpers/fake-completions.ts";

interface StateJson {
  source: string;
  network: { cells: { cell_id: string; consciousness_level: number }[]; coherence: number };
  cells: { cell_id: string; consciousness_level: number; status: string }[];
}

describe.skipIf(!hasTool("nats-server"))("organelles around a real cell", () => {
  let nats: NatsHandle;
  let ai: Awaited<ReturnType<typeof fakeCompletions>>;
  let cell: ServiceHandle;
  let bridge: ServiceHandle;
  let sync: ServiceHandle;
  let listener: ServiceHandle;

  beforeAll(async () => {
    nats = await startNats();
    ai = await fakeCompletions();
    const workspace = mkdtempSync(join(tmpdir(), "aios-ws-"));
    writeFileSync(join(workspace, "tool.py"), "def load(path):\n    return open(path).read()\n\n\ndef save(path, text):\n    pass\n");
    cell = await startCell(nats.url, "alpha", {
      AIOS_LEVEL: "2",
      AIOS_COMPLETION_URL: ai.url,
      AIOS_COMPLETION_MODEL: "tiny",
      AIOS_WORKSPACE_DIR: workspace,
    });
    // one at a time: starting processes together only slows each past its health wait on 2 cores
    bridge = await startRole(nats.url, "vscode-bridge", { AIOS_BODY_LIMIT: "2048" });
    sync = await startRole(nats.url, "consciousness-sync");
    listener = await startRole(nats.url, "network-listener", { AIOS_PRIMARY_CELL_URL: cell.url });
    await waitFor("the bridge to see alpha ready", async () => (await api("GET", `${bridge.url}/consciousness/sync`)).json.cells_ready === 1);
  }, 120_000);
  afterAll(async () => {
    await stopAll([cell, bridge, sync, listener]);
    await nats?.dispose();
    ai?.server.close();
  });

  const vscode = (body: unknown, headers?: Record<string, string>) => api("POST", `${bridge.url}/vscode/request`, body, headers);

  it("vscode-bridge answers editor requests through the cell", async () => {
    const analysis = await vscode({ action: "code_analysis", context: { code: "function a() {}\nconst b = (x: number) => x;\n" }, file_path: "x.ts" });
    expect(analysis.status).toBe(200);
    expect(analysis.json).toMatchObject({ action: "code_analysis", cell_id: "alpha", status: "completed" });
    expect(analysis.json.result).toMatchObject({ language: "typescript", lines: 2, functions: ["a", "b"] });

    const file = await vscode({ action: "code_analysis", file_path: "tool.py" });
    expect(file.json.result).toMatchObject({ language: "python", lines: 6, blank_lines: 2, functions: ["load", "save"] });
    const outside = await vscode({ action: "code_analysis", file_path: "../etc/passwd" });
    expect(outside.status).toBe(502);
    expect(outside.json.message).toMatch(/file_path: "..\/etc\/passwd" (does not exist in|is outside) the workspace/);

    const completion = await vscode({ action: "ai_completion", context: { code: "def hello", cursor: 9 }, file_path: "example.py" });
    expect(completion.status).toBe(200);
    expect(completion.json.result).toMatchObject({ model: "tiny", completion: "():\n    print('hi')" });
    expect(ai.prompts.at(-1)).toMatch(/^\/v1\/chat\/completions tiny Continue this code from example\.py[\s\S]*def hello$/);

    const sync = await api("GET", `${bridge.url}/consciousness/sync`);
    expect(sync.json.network).toMatchObject({ cells: [{ cell_id: "alpha", consciousness_level: 2 }], coherence: 1 });
  });

  it("vscode-bridge rejects bad input with the reason (400, 401, 413)", async () => {
    const unknown = await vscode({ action: "refactor", context: {} });
    expect(unknown.status).toBe(400);
    expect(unknown.json.message).toBe('action: unknown "refactor"; known actions: echo, code_analysis, http_probe, ai_completion');
    const noCode = await vscode({ action: "ai_completion", context: {} });
    expect(noCode.status).toBe(400);
    expect(noCode.json.message).toMatch(/context\.code or context\.prompt/);
    expect((await vscode({ action: "echo" }, {})).status).toBe(401);
    expect((await vscode({ action: "echo", context: { big: "x".repeat(4096) } })).status).toBe(413);
  });

  it("network-listener shows the network and checks the primary cell", async () => {
    const peers = await waitFor("alpha and the organelles in /peers", async () => {
      const res = await api("GET", `${listener.url}/peers`);
      const up = (res.json.peers as { cell_id: string; status: string }[]).filter((p) => p.status === "up").map((p) => p.cell_id);
      return up.length === 4 ? res.json : undefined;
    });
    expect(peers.source).toBe("bus");
    const status = await api("GET", `${listener.url}/network/status`);
    expect(status.json).toMatchObject({ source: "bus", bus: { connected: true }, mdns: { enabled: false } });
    expect(status.json.members).toMatchObject({ up_by_role: { cell: 1, "vscode-bridge": 1, "consciousness-sync": 1, "network-listener": 1 } });
    const primary = await api("GET", `${listener.url}/health/desktop-cell`);
    expect(primary.status).toBe(200);
    expect(primary.json).toMatchObject({ url: cell.url, reachable: true, status_code: 200, cell_id: "alpha" });
    expect((await api("GET", `${listener.url}/no-such-route`)).status).toBe(404);
  });

  it("consciousness-sync serves the levels and evolves the network", async () => {
    const state = await api("GET", `${sync.url}/consciousness/state`);
    expect(state.json).toMatchObject({ source: "bus", network: { cells: [{ cell_id: "alpha", consciousness_level: 2 }] } });
    expect((await api("POST", `${sync.url}/consciousness/evolve`, {}, {})).status).toBe(401);
    const bad = await api("POST", `${sync.url}/consciousness/evolve`, { stimulus: 3 });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/stimulus/);
    const evolved = await api("POST", `${sync.url}/consciousness/evolve`, { stimulus: 1 });
    expect(evolved.status).toBe(200);
    // one step closes 10% of the gap to 10: 2 -> 2.8
    expect(evolved.json).toMatchObject({ cells: [{ cell_id: "alpha", previous_level: 2, consciousness_level: 2.8 }], after: { mean_level: 2.8 } });
    const evolution = await waitFor("the new level sampled", async () => {
      const res = await api("GET", `${sync.url}/metrics/evolution`);
      return (res.json.samples as { mean_level: number }[]).some((s) => s.mean_level === 2.8) ? res.json : undefined;
    });
    expect(evolution.evolutions_total).toBe(1);
    const withAlpha = (evolution.samples as { mean_level: number; cells_up: number }[]).filter((s) => s.cells_up === 1);
    expect(withAlpha.map((s) => s.mean_level)).toEqual([2, 2.8]);
  });

  it("consciousness-sync and network-listener keep their state across a restart and follow the bus when it returns", async () => {
    await Promise.all([sync.kill("SIGTERM"), listener.kill("SIGTERM")]);
    await nats.stop();
    sync = await sync.restart();
    listener = await listener.restart();
    const saved = (await api("GET", `${sync.url}/consciousness/state`)).json as unknown as StateJson;
    expect(saved.source).toBe("saved");
    expect(saved.network.cells).toEqual([{ cell_id: "alpha", consciousness_level: 2.8 }]);
    expect((await api("GET", `${sync.url}/metrics/evolution`)).json.evolutions_total).toBe(1);
    const lview = (await api("GET", `${listener.url}/peers`)).json;
    expect(lview.source).toBe("saved");
    expect((lview.peers as { cell_id: string }[]).map((p) => p.cell_id)).toContain("alpha");

    // while the bus is away the cell moves on: 2.8 -> 3.52
    expect((await api("POST", `${cell.url}/consciousness/evolve`, { stimulus: 1 })).json.consciousness_level).toBe(3.52);
    await nats.start();
    const back = Date.now();
    await waitFor("sync to follow the bus", async () => {
      const s = (await api("GET", `${sync.url}/consciousness/state`)).json as unknown as StateJson;
      return s.source === "bus" && s.cells.some((c) => c.cell_id === "alpha" && c.status === "up" && c.consciousness_level === 3.52);
    });
    await waitFor("the listener to follow the bus", async () => {
      const p = (await api("GET", `${listener.url}/peers`)).json;
      return p.source === "bus" && (p.peers as { cell_id: string; status: string; consciousness_level: number }[]).some(
        (c) => c.cell_id === "alpha" && c.status === "up" && c.consciousness_level === 3.52,
      );
    });
    console.log(`organelles converged with the bus ${Date.now() - back} ms after it returned`);
  }, 60_000);

  it("answers 503 with the reason, not a hang, when no cell is up", async () => {
    await waitFor("the bridge to see alpha back", async () => (await api("GET", `${bridge.url}/consciousness/sync`)).json.cells_ready === 1);
    await cell.kill("SIGKILL");
    await waitFor("alpha to be seen down", async () => (await api("GET", `${bridge.url}/consciousness/sync`)).json.cells_ready === 0);
    const res = await vscode({ action: "echo", context: { hello: true } });
    expect(res.status).toBe(503);
    expect(res.json.message).toBe("no cell is up (1 known, all down: alpha)");
    const primary = await api("GET", `${listener.url}/health/desktop-cell`);
    expect(primary.status).toBe(503);
    expect(primary.json).toMatchObject({ reachable: false, error: "ECONNREFUSED" });
    const evolve = await api("POST", `${sync.url}/consciousness/evolve`, {});
    expect(evolve.status).toBe(503);
    expect(evolve.json.message).toBe("no cell is up to evolve");
  });
});
