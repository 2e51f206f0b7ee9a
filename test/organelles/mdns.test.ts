// Two network-listeners on two hosts of one LAN find each other through mDNS (_aios._tcp).
// The LAN is built here: two network namespaces joined by a veth pair (10.77.0.1/24 and
// 10.77.0.2/24), each host with its own hostname (UTS namespace). nats-server runs on host A's LAN
// address and both listeners use it as their bus. The test process stays in its own namespace and
// reads each listener's HTTP API through a small forwarder started inside that host's namespace,
// listening on a unix socket (a path in the file system, reachable from any network namespace).
// A third host, gamma, sits alone on a LAN without any route for multicast: every mDNS send fails.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasTool } from "../helpers/tools.ts";
import { APP_MAIN, TEST_TOKEN } from "../helpers/service.ts";
import { waitFor } from "../helpers/ports.ts";
import type { LanService } from "../../app/src/organelles/network-listener/mdns.ts";

const PORT = 3000;
const NATS_PORT = 4222;
/** AIOS_MDNS_EXPIRE_S of the listeners here: a service unheard this long leaves the list. */
const EXPIRE_S = 3;
/** multicast-dns (a dependency of bonjour-service), for sending one mDNS query from a host. */
const MULTICAST_DNS = createRequire(import.meta.url).resolve("multicast-dns");

/** Whether this process may create network namespaces (root or CAP_SYS_ADMIN); under CI=true it must. */
function canCreateNetns(): boolean {
  const probe = `aios-probe-${process.pid}`;
  try {
    execFileSync("ip", ["netns", "add", probe], { stdio: "pipe" });
    execFileSync("ip", ["netns", "del", probe], { stdio: "pipe" });
    return true;
  } catch (err) {
    const why = ((err as { stderr?: Buffer }).stderr?.toString() ?? String(err)).trim();
    if (process.env.CI === "true") throw new Error(`creating a network namespace is required under CI=true but failed: ${why}`, { cause: err });
    console.warn(`SKIPPED: cannot create network namespaces (${why}); the mDNS LAN tests need root`);
    return false;
  }
}

const runnable = hasTool("ip") && hasTool("unshare") && hasTool("nats-server") && canCreateNetns();

interface Host {
  ns: string;
  ip: string;
  device: string;
  hostname: string;
  cellId: string;
  publicUrl: string;
  /** The unix socket in front of this host's listener. */
  sock: string;
  /** This host's data directory (holds the saved network-view.json). */
  data: string;
}

interface Proc {
  proc: ChildProcess;
  output(): string;
}

/** Runs a command inside a namespace (`ip netns exec`), keeping its output for failure messages. */
function inNs(ns: string, cmd: string[], env: Record<string, string> = {}): Proc {
  let out = "";
  const proc = spawn("ip", ["netns", "exec", ns, ...cmd], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  return { proc, output: () => out };
}

function exited(p: Proc): Promise<number | null> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return Promise.resolve(p.proc.exitCode);
  return new Promise((resolve) => p.proc.once("exit", (code) => resolve(code)));
}

const FORWARDER = `
const net = require("node:net");
const [sock, host, port] = process.argv.slice(1);
net.createServer((c) => {
  const u = net.connect(Number(port), host);
  c.pipe(u).pipe(c);
  u.on("error", () => c.destroy());
  c.on("error", () => u.destroy());
}).listen(sock);
`;

/** Asks for _aios._tcp services once, from inside a namespace; every listener there answers. */
const MDNS_QUERY = `
// port 0: no need to bind 5353 for one question; the answers are multicast anyway
const m = require(process.argv[1])({ port: 0, multicast: false });
m.query("_aios._tcp.local", "PTR", { address: "224.0.0.251", port: 5353 }, (err) => {
  if (err) console.error(err.message);
  process.exitCode = err ? 1 : 0;
  m.destroy();
});
`;

/** GET through a host's unix socket, with the API token. */
function get(sock: string, path: string): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, path, agent: false, headers: { authorization: `Bearer ${TEST_TOKEN}`, host: "listener" } }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(body) as Record<string, unknown> });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.setTimeout(3000, () => req.destroy(new Error(`GET ${path}: no answer`)));
    req.on("error", reject);
    req.end();
  });
}

async function lan(h: Host): Promise<LanService[]> {
  const res = await get(h.sock, "/peers");
  if (res.status !== 200) throw new Error(`GET /peers: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.lan as LanService[];
}

interface MdnsJson {
  enabled: boolean;
  announcing: boolean;
  error: string | null;
  lan_services: number;
}

async function mdnsStatus(h: Host): Promise<MdnsJson> {
  const res = await get(h.sock, "/network/status");
  if (res.status !== 200) throw new Error(`GET /network/status: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.mdns as MdnsJson;
}

/** The LAN services in the view a host saved to its data directory. */
function savedLan(h: Host): string[] {
  const saved = JSON.parse(readFileSync(join(h.data, "network-view.json"), "utf8")) as { extra: { lan: LanService[] } };
  return saved.extra.lan.map((s) => s.name);
}

describe.skipIf(!runnable)("network-listeners on hosts of a LAN (mDNS)", () => {
  const tag = `aios-mdns-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), "aios-mdns-"));
  const host = (name: string, ip: string): Host => ({
    ns: `${tag}-${name}`,
    ip,
    device: name,
    hostname: `host-${name}`,
    cellId: `network-listener-${name}`,
    publicUrl: `http://${ip}:${PORT}`,
    sock: join(dir, `${name}.sock`),
    data: join(dir, `data-${name}`),
  });
  const a = host("alpha", "10.77.0.1");
  const b = host("beta", "10.77.0.2");
  const g = host("gamma", "10.78.0.1");
  const procs: Proc[] = [];
  const namespaces: string[] = [];
  let listenerB: Proc;

  // Namespaces outlive a killed test process unless deleted: remove them on any exit too.
  const removeNamespaces = (): void => {
    for (const p of procs) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill("SIGKILL");
    for (const ns of namespaces.splice(0)) {
      try {
        execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
      } catch {
        // already gone
      }
    }
  };

  function ip(...args: string[]): void {
    execFileSync("ip", args, { stdio: "pipe" });
  }

  /** Sends one mDNS query from inside a host's namespace; resolves with its exit code. */
  async function queryFrom(h: Host): Promise<number | null> {
    const q = inNs(h.ns, [process.execPath, "-e", MDNS_QUERY, MULTICAST_DNS]);
    procs.push(q);
    return exited(q);
  }

  const forwarding = new Set<string>();

  async function startListener(h: Host, natsUrl = `nats://${a.ip}:${NATS_PORT}`): Promise<Proc> {
    mkdirSync(h.data, { recursive: true });
    // its own UTS namespace so that each host announces its own hostname, as on a real LAN
    const listener = inNs(h.ns, ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', h.hostname, process.execPath, APP_MAIN], {
      AIOS_ROLE: "network-listener",
      AIOS_DEVICE: h.device,
      AIOS_HOST: h.ip,
      AIOS_PORT: String(PORT),
      AIOS_PUBLIC_URL: h.publicUrl,
      AIOS_TOKEN: TEST_TOKEN,
      AIOS_DATA_DIR: h.data,
      AIOS_NATS_URLS: natsUrl,
      AIOS_HEARTBEAT_MS: "200",
      AIOS_DOWN_AFTER_MS: "1000",
      AIOS_LOG_LEVEL: "warn",
      AIOS_MDNS: "on",
      AIOS_MDNS_EXPIRE_S: String(EXPIRE_S),
    });
    procs.push(listener);
    // a restarted listener is reached through the forwarder its host already runs
    if (!forwarding.has(h.sock)) {
      forwarding.add(h.sock);
      procs.push(inNs(h.ns, [process.execPath, "-e", FORWARDER, h.sock, h.ip, String(PORT)]));
    }
    await waitFor(
      `${h.cellId} to answer /health`,
      async () => {
        if (listener.proc.exitCode !== null) throw new Error(`exited with ${listener.proc.exitCode}: ${listener.output()}`);
        return (await get(h.sock, "/health")).status === 200;
      },
      15_000,
    );
    return listener;
  }

  beforeAll(async () => {
    process.once("exit", removeNamespaces);
    for (const h of [a, b, g]) {
      ip("netns", "add", h.ns);
      namespaces.push(h.ns);
    }
    // the LAN: one cable between the two hosts, created straight inside their namespaces
    ip("link", "add", "lan0", "netns", a.ns, "type", "veth", "peer", "name", "lan0", "netns", b.ns);
    for (const h of [a, b]) {
      ip("-n", h.ns, "link", "set", "lo", "up");
      ip("-n", h.ns, "addr", "add", `${h.ip}/24`, "dev", "lan0");
      ip("-n", h.ns, "link", "set", "lan0", "up");
      // no default route on this LAN: multicast needs its own, or sending to 224.0.0.251 fails
      ip("-n", h.ns, "route", "add", "224.0.0.0/4", "dev", "lan0");
    }
    // gamma's LAN: a cable with both ends at home, an address, and no route at all for multicast
    ip("link", "add", "lan0", "netns", g.ns, "type", "veth", "peer", "name", "lan1", "netns", g.ns);
    ip("-n", g.ns, "link", "set", "lo", "up");
    ip("-n", g.ns, "addr", "add", `${g.ip}/24`, "dev", "lan0");
    ip("-n", g.ns, "link", "set", "lan0", "up");
    ip("-n", g.ns, "link", "set", "lan1", "up");

    const nats = inNs(a.ns, ["nats-server", "-js", "-sd", join(dir, "nats"), "-a", a.ip, "-p", String(NATS_PORT)]);
    procs.push(nats);
    await waitFor("nats-server to be ready", () => {
      if (nats.proc.exitCode !== null) throw new Error(`nats-server exited with ${nats.proc.exitCode}: ${nats.output()}`);
      return nats.output().includes("Server is ready");
    });
    // one at a time: starting processes together slows each past its health wait on small machines
    await startListener(a);
    listenerB = await startListener(b);
    // no bus for gamma (nothing listens there): mDNS is the subject
    await startListener(g, `nats://${g.ip}:${NATS_PORT}`);
  });

  afterAll(async () => {
    process.removeListener("exit", removeNamespaces);
    for (const p of procs) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill("SIGKILL");
    await Promise.all(procs.map(exited));
    removeNamespaces();
    rmSync(dir, { recursive: true, force: true });
  });

  it("each listener lists the other's service (not its own): name, LAN address, port, role and device", async () => {
    for (const [self, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const found = await waitFor(
        `${self.cellId} to find ${other.cellId} on the LAN`,
        async () => (await lan(self)).find((s) => s.name === other.cellId),
        15_000,
      );
      expect(found).toMatchObject({
        name: other.cellId,
        host: other.hostname,
        port: PORT,
        role: "network-listener",
        device: other.device,
        url: other.publicUrl,
      });
      expect(found.addresses).toContain(other.ip);
      // only LAN addresses: the test machine's own interfaces are not on this LAN
      expect(found.addresses.filter((x) => x.includes("."))).toEqual([other.ip]);
      // its own announcement loops back to it (multicast loopback) but is not a LAN service
      expect((await lan(self)).map((s) => s.name)).toEqual([other.cellId]);

      const status = await get(self.sock, "/network/status");
      expect(status.status).toBe(200);
      expect(status.json.mdns).toMatchObject({ enabled: true, announcing: true, error: null, lan_services: 1 });
    }
  });

  it("last_seen moves when a known service answers again, not only when it first appeared", async () => {
    const first = (await lan(a)).find((s) => s.name === b.cellId)!.last_seen;
    // a query from alpha's host: beta answers, and alpha hears the answer
    await waitFor(
      "alpha to hear beta again (a later last_seen)",
      async () => {
        expect(await queryFrom(a)).toBe(0);
        const seen = (await lan(a)).find((s) => s.name === b.cellId)!.last_seen;
        return Date.parse(seen) > Date.parse(first) ? seen : undefined;
      },
      10_000,
      200,
    );
  });

  it("on a LAN with no route for multicast, status names the send failure and announcing is false; both recover with a route", async () => {
    const failing = await waitFor("gamma to report an mDNS error", async () => ((await mdnsStatus(g)).error ? mdnsStatus(g) : undefined));
    expect(failing).toMatchObject({ enabled: true, announcing: false });
    expect(failing.error).toContain("ENETUNREACH");

    ip("-n", g.ns, "route", "add", "224.0.0.0/4", "dev", "lan0");
    // a query on gamma's host (looped back to its listener) makes it answer: a send that now works
    const recovered = await waitFor(
      "gamma's mDNS to recover",
      async () => {
        expect(await queryFrom(g)).toBe(0);
        const st = await mdnsStatus(g);
        return st.error === null ? st : undefined;
      },
      10_000,
      200,
    );
    expect(recovered).toMatchObject({ enabled: true, announcing: true, error: null });
  });

  it("a listener that vanishes without a goodbye leaves the other's list after AIOS_MDNS_EXPIRE_S, and is found again when it returns", async () => {
    await waitFor("alpha to save beta in its view", () => savedLan(a).includes(b.cellId));
    listenerB.proc.kill("SIGKILL"); // no goodbye: as a phone that leaves the Wi-Fi
    await exited(listenerB);
    const killed = performance.now();
    await waitFor("alpha to drop beta from its LAN list", async () => !(await lan(a)).some((s) => s.name === b.cellId), 4 * EXPIRE_S * 1000);
    // not by a goodbye: beta stayed listed until it had been unheard for the expiry
    expect(performance.now() - killed).toBeGreaterThan((EXPIRE_S * 1000) / 3);
    await waitFor("alpha to drop beta from its saved view", () => !savedLan(a).includes(b.cellId), 5000);

    listenerB = await startListener(b);
    const back = await waitFor("alpha to find beta again", async () => (await lan(a)).find((s) => s.name === b.cellId), 15_000);
    expect(back).toMatchObject({ name: b.cellId, port: PORT, device: b.device });
  });

  it("when one listener stops, it leaves the other's LAN list (and saved view); the other keeps answering", async () => {
    await waitFor("alpha to save beta in its view", () => savedLan(a).includes(b.cellId));
    listenerB.proc.kill("SIGTERM");
    expect(await exited(listenerB)).toBe(0); // a clean shutdown: mDNS says goodbye without holding it

    // beta's goodbye (TTL 0) removes it; the saved view follows within a heartbeat
    await waitFor("alpha to drop beta from its LAN list", async () => (await lan(a)).length === 0, 5000);
    await waitFor("alpha to drop beta from its saved view", () => savedLan(a).length === 0, 5000);
    const status = await waitFor("alpha to see beta down on the bus", async () => {
      const res = await get(a.sock, "/network/status");
      return (res.json.members as { up: number }).up === 1 ? res : undefined;
    });
    expect(status.status).toBe(200);
    expect(status.json.mdns).toMatchObject({ enabled: true, announcing: true, error: null, lan_services: 0 });
  });
});
