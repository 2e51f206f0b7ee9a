// Joining the VPS hub, for real on 127.0.0.1: the hub runs the rendered VPS config (leaf port
// with TLS and a password, client port offering TLS for the proxy in front of it), the desktop's
// leaf runs the rendered leaf config that dials the hub over TLS trusting the hub's CA, and a
// phone's cell reaches the hub's client port the way it does through Traefik on 443: TLS first
// to a TLS-terminating proxy (node:tls here, with a certificate from a test CA), which forwards
// the plain NATS protocol. Certificates come from a throwaway CA made with openssl.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderNatsConfig, renderNatsSecrets } from "../../infra/render/nats.ts";
import { withClientTls, withLeafTls } from "../../infra/render/vps-tls.ts";
import { startCell, waitPeer } from "../helpers/cells.ts";
import { waitFor } from "../helpers/ports.ts";
import { api, type ServiceHandle } from "../helpers/service.ts";
import { makeTestCerts, tlsProxy, type TestCerts } from "../helpers/test-ca.ts";
import { hasTool } from "../helpers/tools.ts";
import { busUsers, leafLinked, leafOf, leafUserOf, listenOn, memberBusEnv, monitor, natsServer, tempDirs, type Server } from "./rendered-nats.ts";

const MEMBERS = ["father", "alpha", "beta", "gamma"].map((id) => ({ id, role: "cell" as const }));
const USERS = busUsers(MEMBERS);

interface Health {
  status: string;
  reasons: string[];
  bus: { connected: boolean };
}
const health = async (cell: ServiceHandle) => (await api("GET", `${cell.url}/health`)).json as unknown as Health;

describe.runIf(hasTool("nats-server") && hasTool("openssl"))("joining the VPS hub over TLS (rendered configs, real servers and cells)", () => {
  const dirs = tempDirs("aios-vps-hub-");
  const tempDir = dirs.make;
  let certs: TestCerts;
  let hub: Server;
  let leaf: Server;
  let proxy: Awaited<ReturnType<typeof tlsProxy>>;
  const cells: ServiceHandle[] = [];
  let father: ServiceHandle; // on the VPS, plain nats:// inside the droplet
  let alpha: ServiceHandle; // on the desktop, a leaf of the VPS hub

  beforeAll(async () => {
    certs = makeTestCerts(tempDir(), ["nats.aios.test"]);
    const files = { certFile: certs.certFile, keyFile: certs.keyFile };
    const hubDir = tempDir();
    const hubListen = await listenOn();
    hub = natsServer(hubDir, hubListen, "vps", {
      main: withClientTls(renderNatsConfig({ mode: "hub", serverName: "vps", storeDir: join(hubDir, "store"), listen: hubListen }), files),
      secrets: withLeafTls(renderNatsSecrets({ mode: "hub", leaves: [leafUserOf("desktop", [{ id: "alpha", role: "cell" }], MEMBERS)] }, USERS, hubListen), files),
    });
    const leafListen = await listenOn();
    const hubRole = { mode: "leaf", hubHost: "127.0.0.1", hubLeafPort: hubListen.leaf, tls: { caFile: certs.caFile }, credential: leafOf("desktop") } as const;
    leaf = natsServer(tempDir(), leafListen, "desktop", {
      main: renderNatsConfig({ mode: "leaf", serverName: "desktop", listen: leafListen }),
      secrets: renderNatsSecrets(hubRole, USERS, leafListen),
    });
    await hub.start();
    await leaf.start();
    await leafLinked(leaf);
    proxy = await tlsProxy(certs, hubListen.client);
    // One process at a time: the test machines have two cores.
    father = await startCell(hub.url, "father", { AIOS_DEVICE: "vps", ...memberBusEnv("father") });
    alpha = await startCell(leaf.url, "alpha", { AIOS_DEVICE: "desktop", ...memberBusEnv("alpha") });
    cells.push(father, alpha);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(cells.map((c) => c.kill()));
    proxy?.server.close();
    await Promise.all([leaf?.stop(), hub?.stop()]);
    dirs.removeAll();
  });

  it("the leaf links to the hub over TLS, trusting the hub's CA, and runs no JetStream", async () => {
    const leafz = await monitor(hub, "/leafz");
    expect(leafz.leafnodes).toBe(1);
    const varz = await monitor(hub, "/varz");
    expect(varz.leaf).toMatchObject({ tls_required: true });
    expect(leaf.output()).not.toContain("Starting JetStream");
  });

  it("a leaf that does not trust the hub's CA is refused by its own TLS check", async () => {
    const listen = await listenOn();
    const untrusting = natsServer(tempDir(), listen, "stranger", {
      main: renderNatsConfig({ mode: "leaf", serverName: "stranger", listen }),
      secrets: renderNatsSecrets({ mode: "leaf", hubHost: "127.0.0.1", hubLeafPort: hub.listen.leaf, tls: {}, credential: leafOf("desktop") }, USERS, listen),
    });
    await untrusting.start();
    try {
      await waitFor("the stranger's TLS error", () => /certificate/.test(untrusting.output()), 15_000);
      expect((await monitor(untrusting, "/leafz")).leafnodes).toBe(0);
    } finally {
      await untrusting.stop();
    }
  });

  it("the droplet's cell (plain, while the hub offers TLS) and the leaf's cell see each other", async () => {
    expect((await waitPeer(father.url, "alpha", "up")).device).toBe("desktop");
    expect((await waitPeer(alpha.url, "father", "up")).device).toBe("vps");
    expect((await health(father)).status).toBe("ok");
  });

  it("a phone's cell joins through the TLS-terminating proxy with TLS first and the CA file", async () => {
    const before = proxy.sessions();
    const beta = await startCell(`tls://127.0.0.1:${proxy.port}`, "beta", {
      AIOS_DEVICE: "phone",
      ...memberBusEnv("beta"),
      AIOS_NATS_TLS_FIRST: "true",
      AIOS_NATS_CA_FILE: certs.caFile,
    });
    cells.push(beta);
    // Presence is a JetStream KV bucket on the hub: seeing the others means JetStream answers.
    expect((await waitPeer(beta.url, "father", "up")).device).toBe("vps");
    expect((await waitPeer(beta.url, "alpha", "up")).device).toBe("desktop");
    expect((await waitPeer(alpha.url, "beta", "up")).device).toBe("phone");
    const h = await health(beta);
    expect(h.bus.connected).toBe(true);
    expect(h.status).toBe("ok");
    expect(proxy.sessions()).toBeGreaterThan(before);
  });

  it("without the CA file the phone's cell does not trust the proxy's certificate and says why", async () => {
    const lost = await startCell(`tls://127.0.0.1:${proxy.port}`, "gamma", {
      AIOS_DEVICE: "phone",
      ...memberBusEnv("gamma"),
      AIOS_NATS_TLS_FIRST: "true",
    });
    cells.push(lost);
    const h = await waitFor("gamma to report why it has no bus", async () => {
      const r = await health(lost);
      return /certificate/.test(r.reasons.join(" ")) && r;
    });
    expect(h.bus.connected).toBe(false);
  });
});
