// Stack config: both real stack files parse; every bad value fails naming the key, and no
// error message ever contains a secret.
import { describe, expect, it } from "vitest";
import { leafDevices, parseConfig, StackConfigError } from "../../infra/config.ts";
import { totalMemoryMb } from "../../infra/plan.ts";
import { loadStackConfig, TEST_SECRETS } from "./stack-config.ts";

function errorOf(raw: Record<string, string>): StackConfigError {
  try {
    parseConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(StackConfigError);
    const e = err as StackConfigError;
    for (const secret of Object.values(TEST_SECRETS)) expect(e.message).not.toContain(secret);
    return e;
  }
  throw new Error("expected the config to be rejected");
}

const desktop = loadStackConfig("desktop");
const laptop = loadStackConfig("laptop");
const with_ = (base: Record<string, string>, changes: Record<string, unknown>): Record<string, string> => {
  const out = { ...base };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete out[k];
    else out[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
};

describe("stack config", () => {
  it("the desktop and laptop stack files parse, with defaults filled in", () => {
    const d = parseConfig(desktop);
    expect(d.device).toBe("desktop");
    expect(d.domain).toBe("aios.lan");
    expect(d.networks.meshSubnet).toBe("172.28.0.0/16");
    expect(d.networks.ingressSubnet).toBe("172.29.0.0/16");
    expect(d.cells.map((c) => c.id)).toEqual(["father", "nous"]);
    expect(d.bus).toMatchObject({ mode: "hub", clientPort: 4222, leafPort: 7422 });
    const l = parseConfig(laptop);
    expect(l.bus).toMatchObject({ mode: "leaf", hub: { host: "192.168.1.10", leafPort: 7422, clientPort: 4222 } });
    expect(l.vault.enabled).toBe(false);
    expect(l.observability.grafana).toBe(false);
    expect(l.organelleHost.mode).toBe("shared");
    expect(totalMemoryMb(l)).toBeLessThanOrEqual(400);
  });

  it("laptop: the shared organelle host is what keeps it within 400 MB; one container each takes 176 MB more", () => {
    const shared = parseConfig(laptop);
    const separate = parseConfig(with_(laptop, { "aios:organelleHost": { mode: "separate" }, "aios:memoryBudgetMb": 600 }));
    expect(totalMemoryMb(separate) - totalMemoryMb(shared)).toBe(4 * 80 - 144);
  });

  const cases: [string, Record<string, string>, string][] = [
    ["missing device", with_(desktop, { "aios:device": undefined }), "aios:device"],
    ["missing lanAddress", with_(desktop, { "aios:lanAddress": undefined }), "aios:lanAddress"],
    ["missing API token", with_(desktop, { "aios:apiToken": undefined }), "aios:apiToken"],
    ["short bus token", with_(desktop, { "aios:busToken": "short" }), "aios:busToken"],
    ["unknown top-level key", with_(desktop, { "aios:cels": [] }), "aios:cels"],
    ["unknown nested key", with_(desktop, { "aios:bus": { mode: "hub", prot: 1 } }), "aios:bus.prot"],
    ["port out of range", with_(desktop, { "aios:cells": [{ id: "father", port: 70000 }] }), "aios:cells[0].port"],
    ["port not a number", with_(desktop, { "aios:cells": [{ id: "father", port: "x" }] }), "aios:cells[0].port"],
    ["bad cell id", with_(desktop, { "aios:cells": [{ id: "Father!", port: 8000 }] }), "aios:cells[0].id"],
    ["cell named like a service", with_(desktop, { "aios:cells": [{ id: "grafana", port: 8000 }] }), "aios:cells[0].id"],
    ["cell named like the bus's operator", with_(desktop, { "aios:cells": [{ id: "operator", port: 8000 }] }), "aios:cells[0].id"],
    ["remote cell named like a leaf link's user", with_(desktop, { "aios:remoteDevices": [{ name: "laptop", address: "192.168.1.20", cells: [{ id: "leaf-laptop", port: 8000 }] }] }), "aios:remoteDevices[0].cells[0].id"],
    ["phone cell named like the bus's no-credentials user", with_(laptop, { "aios:phone": { cell: "no-credentials", appSource: "https://x.org/a.tgz", bootstrapUrl: "https://x.org/b.sh" } }), "aios:phone.cell"],
    ["duplicate cell", with_(desktop, { "aios:cells": [{ id: "a", port: 8000 }, { id: "a", port: 8003 }] }), "aios:cells[1].id"],
    ["duplicate host port", with_(desktop, { "aios:cells": [{ id: "a", port: 8000 }, { id: "b", port: 8001 }] }), "aios:discovery.port"],
    ["cell on the HTTPS port", with_(desktop, { "aios:cells": [{ id: "a", port: 443 }] }), "aios:cells[0].port"],
    ["unknown organelle", with_(laptop, { "aios:organelles": [{ role: "toaster" }] }), "aios:organelles[0].role"],
    [
      "organelle over 100 MB",
      with_(laptop, { "aios:organelleHost": { mode: "separate" }, "aios:organelles": [{ role: "vscode-bridge", memoryMb: 200 }] }),
      "aios:organelles[0].memoryMb",
    ],
    ["an organelle's own limit in the shared host", with_(laptop, { "aios:organelles": [{ role: "vscode-bridge", memoryMb: 90 }] }), "aios:organelles[0].memoryMb"],
    ["the host's limit with one container each", with_(laptop, { "aios:organelleHost": { mode: "separate", memoryMb: 90 } }), "aios:organelleHost.memoryMb"],
    ["bad organelle host mode", with_(laptop, { "aios:organelleHost": { mode: "pooled" } }), "aios:organelleHost.mode"],
    ["leaf without hub", with_(laptop, { "aios:bus": { mode: "leaf" } }), "aios:bus.hub"],
    ["bad bus mode", with_(laptop, { "aios:bus": { mode: "spoke" } }), "aios:bus.mode"],
    ["grafana without prometheus", with_(desktop, { "aios:observability": { grafana: true } }), "aios:observability.prometheus"],
    ["bad duration", with_(desktop, { "aios:observability": { prometheus: true, cellDownFor: "soon" } }), "aios:observability.cellDownFor"],
    ["bad docker host", with_(laptop, { "aios:docker": { host: "laptop:22" } }), "aios:docker.host"],
    ["bad domain", with_(desktop, { "aios:domain": "AIOS LAN" }), "aios:domain"],
    ["bad subnet", with_(desktop, { "aios:networks": { meshSubnet: "172.28.0.0" } }), "aios:networks.meshSubnet"],
    ["overlapping subnets", with_(desktop, { "aios:networks": { meshSubnet: "172.28.0.0/16", ingressSubnet: "172.28.5.0/24" } }), "aios:networks.ingressSubnet"],
    ["over the memory budget", with_(laptop, { "aios:memoryBudgetMb": 256 }), "aios:memoryBudgetMb"],
    ["remote device named like this one", with_(laptop, { "aios:remoteDevices": [{ name: "laptop", address: "10.0.0.2" }] }), "aios:remoteDevices[0].name"],
    ["remote address with a scheme", with_(laptop, { "aios:remoteDevices": [{ name: "desktop", address: "http://x" }] }), "aios:remoteDevices[0].address"],
    ["phone without app source", with_(laptop, { "aios:phone": { bootstrapUrl: "https://x.org/b.sh" } }), "aios:phone.appSource"],
    ["DNS: a remote device outside the LAN", with_(desktop, { "aios:remoteDevices": [{ name: "laptop", address: "10.0.0.20", cells: [{ id: "alpha", port: 8000 }] }] }), "aios:remoteDevices[0].address"],
    ["DNS: an extra host outside the LAN", with_(desktop, { "aios:dns": { lan: "192.168.1.0/24", hosts: [{ name: "printer", address: "192.168.2.9" }] } }), "aios:dns.hosts[0].address"],
    ["DNS: a remote device by host name", with_(desktop, { "aios:remoteDevices": [{ name: "laptop", address: "laptop.home", cells: [{ id: "alpha", port: 8000 }] }] }), "aios:remoteDevices[0].address"],
    ["DNS: a name given twice (remote cell named like a local one)", with_(desktop, { "aios:remoteDevices": [{ name: "laptop", address: "192.168.1.20", cells: [{ id: "father", port: 8000 }] }] }), "aios:remoteDevices[0].cells[0].id"],
    ["DNS: an extra host named like a service", with_(desktop, { "aios:dns": { hosts: [{ name: "grafana", address: "192.168.1.30" }] } }), "aios:dns.hosts[0].name"],
    ["DNS: its port taken by a cell", with_(desktop, { "aios:dns": { port: 8000 } }), "aios:dns.port"],
    ["DNS: a bad upstream", with_(desktop, { "aios:dns": { upstreams: ["dns.google"] } }), "aios:dns.upstreams[0]"],
    ["DNS: a bad LAN", with_(desktop, { "aios:dns": { lan: "192.168.1.0" } }), "aios:dns.lan"],
    ["leaf device not in remoteDevices, by name", with_(desktop, { "aios:bus": { mode: "hub", leafDevices: ["vps"] } }), "aios:bus.leafDevices[0]"],
    ["leaf device in remoteDevices, given in full", with_(desktop, { "aios:bus": { mode: "hub", leafDevices: [{ name: "laptop", cells: ["alpha"] }] } }), "aios:bus.leafDevices[0].name"],
    ["leaf device listed twice", with_(desktop, { "aios:bus": { mode: "hub", leafDevices: ["laptop", "laptop"] } }), "aios:bus.leafDevices[1]"],
    ["leaf device running an unknown organelle", with_(desktop, { "aios:bus": { mode: "hub", leafDevices: [{ name: "tablet", organelles: ["toaster"] }] } }), "aios:bus.leafDevices[0].organelles[0]"],
    ["leaf device's bad phone cell", with_(desktop, { "aios:bus": { mode: "hub", leafDevices: [{ name: "tablet", phoneCell: "Beta!" }] } }), "aios:bus.leafDevices[0].phoneCell"],
    ["leaf device neither a name nor an entry", with_(desktop, { "aios:bus": { mode: "hub", leafDevices: [7] } }), "aios:bus.leafDevices[0]"],
    ["remote device's bad phone cell", with_(desktop, { "aios:remoteDevices": [{ name: "laptop", address: "192.168.1.20", phoneCell: "Beta!" }] }), "aios:remoteDevices[0].phoneCell"],
    ["bad webhook", with_(desktop, { "aios:observability": { prometheus: true, alertmanager: true, alertWebhook: "ftp://x" } }), "aios:observability.alertWebhook"],
  ];
  it("a cell's or organelle's env is refused, naming the variable and why, for what the stack sets and for secrets", () => {
    const wired = errorOf(with_(desktop, { "aios:cells": [{ id: "father", port: 8000, env: { AIOS_BUS_CERT: "x", AIOS_PORT: "9000", AIOS_MODEL: "m" } }] }));
    expect(wired.keys).toEqual(["aios:cells[0].env.AIOS_BUS_CERT", "aios:cells[0].env.AIOS_PORT"]);
    expect(wired.message).toContain("aios:cells[0].env.AIOS_PORT: set by the stack itself");
    const secret = errorOf(with_(laptop, { "aios:organelles": [{ role: "vscode-bridge", env: { AIOS_TOKEN: "t" } }] }));
    expect(secret.message).toContain("aios:organelles[0].env.AIOS_TOKEN: secrets cannot be plain settings");
  });

  it.each(cases)("%s fails naming the key", (_name, raw, key) => {
    const e = errorOf(raw);
    expect(e.keys).toContain(key);
    expect(e.message).toContain(`${key}: `);
  });

  it("aios:dns: the LAN defaults to the /24 of lanAddress, upstreams to public resolvers; a wider LAN admits more addresses", () => {
    const d = parseConfig(with_(desktop, { "aios:dns": {} }));
    expect(d.dns).toEqual({ port: 53, upstreams: ["1.1.1.1", "9.9.9.9"], hosts: [] });
    const far = { "aios:remoteDevices": [{ name: "laptop", address: "192.168.7.20", cells: [{ id: "alpha", port: 8000 }] }] };
    expect(errorOf(with_(desktop, { ...far, "aios:dns": {} })).message).toContain("aios:remoteDevices[0].address: 192.168.7.20 is outside the LAN 192.168.1.0/24");
    expect(() => parseConfig(with_(desktop, { ...far, "aios:dns": { lan: "192.168.0.0/16" } }))).not.toThrow();
  });

  it("the hub knows what each leaf device runs: from remoteDevices by name, or given in bus.leafDevices", () => {
    expect(leafDevices(parseConfig(desktop))).toEqual([
      { name: "laptop", cells: ["alpha"], organelles: ["network-listener", "vscode-bridge", "consciousness-sync", "task-dispatcher"], discovery: false, phoneCell: "beta" },
    ]);
    const tablet = { name: "tablet", cells: ["gamma"], phoneCell: "delta" };
    expect(leafDevices(parseConfig(with_(desktop, { "aios:bus": { mode: "hub", leafDevices: [tablet] } })))).toEqual([{ ...tablet, organelles: [], discovery: false }]);
    expect(leafDevices(parseConfig(laptop))).toEqual([]);
    expect(errorOf(with_(desktop, { "aios:bus": { mode: "hub", leafDevices: ["vps"] } })).message).toContain(
      'aios:bus.leafDevices[0]: "vps" is not in remoteDevices: give what it runs',
    );
  });

  it("keys of other namespaces are left to their providers", () => {
    expect(() => parseConfig({ ...desktop, "docker:host": "unix:///var/run/docker.sock" })).not.toThrow();
  });
});
