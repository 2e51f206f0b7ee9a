// The LAN DNS server's config, run by the real dnsmasq on 127.0.0.1: every name of the desktop's
// stack answers with its device's address over UDP and TCP, an unknown name in the domain is
// NXDOMAIN and never reaches the upstream, and every other name is forwarded to the upstream.
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../infra/config.ts";
import { lanNames, type LanName } from "../../infra/lan-names.ts";
import { renderDnsmasqConfig } from "../../infra/render/dnsmasq.ts";
import { fakeUpstream, query } from "../helpers/dns.ts";
import { freePort, waitFor } from "../helpers/ports.ts";
import { hasTool } from "../helpers/tools.ts";
import { loadStackConfig } from "../infra/stack-config.ts";
import { runTool, tempFiles } from "./tool.ts";

const cfg = parseConfig({
  ...loadStackConfig("desktop"),
  "aios:dns": JSON.stringify({ lan: "192.168.1.0/24", hosts: [{ name: "printer", address: "192.168.1.40" }] }),
});
const names = lanNames(cfg, cfg.dns!.hosts);

describe("dnsmasq config text", () => {
  it("names every routed service of this device and of the remote ones, cells, fleet and the extra hosts", () => {
    const byName = Object.fromEntries(names.map((n) => [n.name, n.address]));
    expect(byName).toMatchObject({
      "father.aios.lan": "192.168.1.10",
      "discovery.aios.lan": "192.168.1.10",
      "fleet.aios.lan": "192.168.1.10",
      "cells.aios.lan": "192.168.1.10",
      "traefik.aios.lan": "192.168.1.10",
      "vault.aios.lan": "192.168.1.10",
      "alpha.aios.lan": "192.168.1.20",
      "consciousness-sync.aios.lan": "192.168.1.20",
      "printer.aios.lan": "192.168.1.40",
    });
    expect(byName["nats.aios.lan"]).toBeUndefined();
  });
});

describe.skipIf(!hasTool("dnsmasq"))("dnsmasq running the rendered config", () => {
  let dnsmasq: ChildProcess | undefined;
  let upstream: Awaited<ReturnType<typeof fakeUpstream>>;
  let port: number;
  let files: ReturnType<typeof tempFiles>;
  let log = "";

  beforeAll(async () => {
    upstream = await fakeUpstream("203.0.113.7");
    port = await freePort();
    const conf = renderDnsmasqConfig({ domain: cfg.domain, names, upstreams: [`127.0.0.1#${upstream.port}`], port, listenAddress: "127.0.0.1" });
    files = tempFiles({ "dnsmasq.conf": conf });
    const check = runTool("dnsmasq", ["--test", `--conf-file=${files.path("dnsmasq.conf")}`]);
    expect(check.code, check.out).toBe(0);
    dnsmasq = spawn("dnsmasq", ["--keep-in-foreground", `--conf-file=${files.path("dnsmasq.conf")}`, `--pid-file=${files.path("pid")}`], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    dnsmasq.stderr!.on("data", (d: Buffer) => (log += d.toString()));
    await waitFor("dnsmasq to answer", () => query(port, "father.aios.lan", { timeoutMs: 300 }).then((a) => a.addresses.length > 0), 10_000);
  });
  afterAll(() => {
    dnsmasq?.kill();
    upstream?.close();
    files?.cleanup();
  });

  it("answers every name with its device's address, over UDP and TCP", async () => {
    const answer = async (n: LanName, tcp: boolean) => ({ name: n.name, ...(await query(port, n.name, { tcp })) });
    for (const tcp of [false, true]) {
      const got = await Promise.all(names.map((n) => answer(n, tcp)));
      expect(got, log).toEqual(names.map((n) => ({ name: n.name, rcode: "NOERROR", addresses: [n.address] })));
    }
  });

  it("an unknown name in the domain is NXDOMAIN and never asked upstream; an IPv6 question for a known name gets no address", async () => {
    expect(await query(port, "nobody.aios.lan")).toEqual({ rcode: "NXDOMAIN", addresses: [] });
    expect(await query(port, "nobody.aios.lan", { tcp: true })).toEqual({ rcode: "NXDOMAIN", addresses: [] });
    expect(await query(port, "father.aios.lan", { type: "AAAA" })).toEqual({ rcode: "NOERROR", addresses: [] });
    expect(upstream.asked.filter((n) => n.endsWith("aios.lan"))).toEqual([]);
  });

  it("forwards every other name to the upstream and hands its answer back", async () => {
    expect(await query(port, "example.org")).toEqual({ rcode: "NOERROR", addresses: ["203.0.113.7"] });
    expect(upstream.asked).toContain("example.org");
  });
});
