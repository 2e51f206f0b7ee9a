// The extension's client and what it shows, against real services: two cells and the
// vscode-bridge on a real nats-server, a TLS-terminating proxy with a test CA in front of a
// cell (as Traefik serves https://<cell>.<domain>), and sockets that refuse or never answer.
import { createServer, type Server, type Socket } from "node:net";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AiosClient, AiosError } from "../../vscode-extension/src/client.ts";
import { analysisReport, connectMessage, peerRows, statusView, syncMessage } from "../../vscode-extension/src/format.ts";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import { freePort, waitFor } from "../helpers/ports.ts";
import { TEST_TOKEN, type ServiceHandle } from "../helpers/service.ts";
import { makeTestCerts, tlsProxy } from "../helpers/test-ca.ts";
import { hasTool } from "../helpers/tools.ts";
import { startCell, startRole, stopAll } from "../organelles/helpers.ts";

const client = (cell: string, bridge = "http://127.0.0.1:1", extra: Partial<ConstructorParameters<typeof AiosClient>[0]> = {}) =>
  new AiosClient({ cellEndpoint: cell, bridgeEndpoint: bridge, token: TEST_TOKEN, timeoutMs: 5000, ...extra });

/** The AiosError a call fails with (the test fails if it succeeds). */
async function failure(p: Promise<unknown>): Promise<AiosError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AiosError);
  return err as AiosError;
}

describe.skipIf(!hasTool("nats-server"))("the extension's client against real cells and the vscode-bridge", () => {
  let nats: NatsHandle;
  let alpha: ServiceHandle;
  let beta: ServiceHandle;
  let bridge: ServiceHandle;
  beforeAll(async () => {
    nats = await startNats();
    alpha = await startCell(nats.url, "ext-alpha", { AIOS_LEVEL: "2" });
    beta = await startCell(nats.url, "ext-beta", { AIOS_LEVEL: "6" });
    bridge = await startRole(nats.url, "vscode-bridge");
  }, 90_000);
  afterAll(async () => {
    await stopAll([alpha, beta, bridge]);
    await nats?.dispose();
  });

  it("Connect to Cell names the cell, its level, status and peers", async () => {
    const c = client(alpha.url);
    const h = await waitFor("alpha to see beta and the bridge", async () => {
      const x = await c.health();
      return x.peer_count === 2 && x.status === "ok" && x;
    });
    expect(connectMessage(alpha.url, h)).toBe(`Connected to cell ext-alpha on desktop at ${alpha.url}: level 2, status ok, 2 peers up`);
    expect(statusView(alpha.url, h)).toMatchObject({ text: "$(pulse) ext-alpha · 2 · 2 peers", warning: false });
  });

  it("the network view lists every member with device, role, level and up/down", async () => {
    const rows = peerRows((await client(alpha.url).peers()).peers);
    expect(rows.map((r) => [r.label, r.description, r.up])).toEqual([
      ["ext-alpha", "desktop · cell · level 2 · up", true],
      ["ext-beta", "desktop · cell · level 6 · up", true],
      ["vscode-bridge-desktop", expect.stringMatching(/^desktop · vscode-bridge · level \d+(\.\d+)? · up$/), true],
    ]);
  });

  it("Sync Consciousness shows the new level and the network's coherence", async () => {
    // 2 with a peer at 6: mean 4 -> 2.5; the new view (2.5, 6) has mean 4.25, sigma 1.75, coherence 0.65
    expect(syncMessage(await client(alpha.url).syncConsciousness())).toBe(
      "Cell ext-alpha synced: level 2 → 2.5; network coherence 0.65 over 2 cells (mean level 4.25)",
    );
  });

  it("a missing or wrong token is a readable error naming the URL, and changes nothing", async () => {
    const none = await failure(client(alpha.url, undefined, { token: undefined }).syncConsciousness());
    expect(none.message).toBe(`${alpha.url}/sync-consciousness: no API token set: run "AIOS: Set API Token"`);
    const wrong = await failure(client(alpha.url, undefined, { token: "not-the-token" }).syncConsciousness());
    expect(wrong.status).toBe(401);
    expect(wrong.message).toMatch(new RegExp(`^${alpha.url}/sync-consciousness: HTTP 401: \\S`));
    expect((await client(alpha.url).health()).consciousness_level).toBe(2.5);
  });

  it("Analyze This File goes through the bridge to a cell and reports the analysis", async () => {
    const c = client(alpha.url, bridge.url);
    const code = "# tools\ndef parse(x):\n    return x\n\ndef run():\n    pass\n";
    const r = await waitFor("the bridge to have a cell", () => c.bridge({ action: "code_analysis", context: { code }, file_path: "src/tools.py" }).catch(() => undefined));
    expect(["ext-alpha", "ext-beta"]).toContain(r.cell_id);
    const report = analysisReport("src/tools.py", r);
    expect(report).toMatch(/^AIOS analysis of src\/tools\.py \(cell ext-(alpha|beta), \d+ ms\)\n {2}6 lines of python .*2 functions: parse, run\n {2}functions: parse, run$/);
  });

  it("a completion with no model configured on the cells is a readable 502", async () => {
    const err = await failure(client(alpha.url, bridge.url).bridge({ action: "ai_completion", context: { code: "def f(", cursor: 6 } }));
    expect(err.status).toBe(502);
    expect(err.reason).toMatch(/^HTTP 502: ai_completion failed on cell ext-(alpha|beta): no completion endpoint configured/);
  });

  it("a stopped cell turns the status bar to the warning with the reason", async () => {
    await beta.kill("SIGTERM");
    const err = await failure(client(beta.url).health());
    expect(err.message).toBe(`${beta.url}/health: connection refused (is the cell running?)`);
    const v = statusView(beta.url, undefined, err.message);
    expect(v).toEqual({ text: "$(warning) AIOS: unreachable", tooltip: `AIOS cell ${beta.url} is unreachable: ${err.message}`, warning: true });
    // alpha notices its peer is gone
    await waitFor("alpha to count one peer", async () => (await client(alpha.url).health()).peer_count === 1);
  });

  it("a cell cut off from the bus is degraded, and the status bar says so", async () => {
    await nats.stop();
    const h = await waitFor("alpha to report degraded", async () => {
      const x = await client(alpha.url).health();
      return x.status === "degraded" && x;
    });
    const v = statusView(alpha.url, h);
    expect(v.warning).toBe(true);
    expect(v.text).toMatch(/^\$\(warning\) ext-alpha · 2\.5 · \d+ peers? · degraded$/);
    expect(connectMessage(alpha.url, h)).toMatch(/status degraded \(.*bus.*\)/);
    await nats.start();
  });

  it("https through a TLS proxy works with the stack's CA, and says what to set without it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-ext-ca-"));
    const certs = makeTestCerts(dir, ["alpha.aios.test"]);
    const proxy = await tlsProxy(certs, alpha.port);
    try {
      const url = `https://127.0.0.1:${proxy.port}`;
      const h = await client(url, undefined, { ca: readFileSync(certs.caFile, "utf8") }).health();
      expect(h.cell_id).toBe("ext-alpha");
      const err = await failure(client(url).health());
      expect(err.message).toBe(`${url}/health: the server's certificate is signed by an unknown CA: set aios.caCertificate to the stack's CA file`);
    } finally {
      proxy.server.close();
    }
  });
});

describe("the extension's client on bad endpoints", () => {
  let silent: Server;
  let port: number;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    // accepts connections and never answers
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    port = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it("a server that never answers fails with a timeout, not a hang", async () => {
    const err = await failure(client(`http://127.0.0.1:${port}`, undefined, { timeoutMs: 300 }).health());
    expect(err.message).toBe(`http://127.0.0.1:${port}/health: no answer within 0.3 s`);
    const silentBridge = client("http://127.0.0.1:1", `http://127.0.0.1:${port}`, { bridgeTimeoutMs: 400 });
    const slow = await failure(silentBridge.bridge({ action: "code_analysis", context: { code: "x" } }));
    expect(slow.message).toBe(`http://127.0.0.1:${port}/vscode/request: no answer within 0.4 s`);
  });

  it("a bad endpoint setting names itself", async () => {
    expect((await failure(client("not a url").health())).message).toBe(
      "not a url/health: not a valid URL (check aios.cellEndpoint / aios.bridgeEndpoint)",
    );
    expect((await failure(client("ftp://127.0.0.1").health())).reason).toBe("unsupported scheme ftp: (use http:// or https://)");
    const free = await freePort();
    expect((await failure(client(`http://127.0.0.1:${free}/cells/alpha/`).health())).message).toBe(
      `http://127.0.0.1:${free}/cells/alpha/health: connection refused (is the cell running?)`,
    );
  });
});
