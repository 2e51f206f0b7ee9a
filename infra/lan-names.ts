// The names a LAN device's stack answers for: `<service>.<domain>` for every routed service of
// this device (with its LAN address) and of every remoteDevices entry (with that device's
// address), `cells.<domain>` and `fleet.<domain>` where this device routes them, plus any extra
// hosts of `aios:dns`. One list feeds the dnsmasq config and the `hostsEntries` output, so the
// DNS server and a hosts file cannot disagree. Each name carries the config key it comes from,
// for error messages.
import { BlockList, isIPv4 } from "node:net";
import type { DeviceConfigBase } from "./config.ts";
import { FLEET_HOST, planServices } from "./plan.ts";

export interface LanName {
  /** Fully qualified: father.aios.lan */
  name: string;
  address: string;
  /** Where the name comes from in the config, as a path (keyName in config.ts prints it). */
  path: (string | number)[];
}

export interface ExtraHost {
  name: string;
  address: string;
}

export function lanNames(cfg: DeviceConfigBase, extraHosts: ExtraHost[] = []): LanName[] {
  const fq = (host: string) => `${host}.${cfg.domain}`;
  const out: LanName[] = [];
  const here = (host: string, path: (string | number)[]) => out.push({ name: fq(host), address: cfg.lanAddress, path });
  for (const s of planServices(cfg)) {
    if (!s.routed) continue;
    if (s.kind === "cell") here(s.name, ["cells", cfg.cells.findIndex((c) => c.id === s.name), "id"]);
    else if (s.kind === "organelle") here(s.name, ["organelles", cfg.organelles.findIndex((o) => o.role === s.name), "role"]);
    else here(s.name, [s.kind]);
    if (s.kind === "discovery") here(FLEET_HOST, ["discovery"]);
  }
  // This device's Traefik runs the cells.<domain> load balancer over every device's cells.
  if (cfg.cells.length || cfg.remoteDevices.some((d) => d.cells.length)) here("cells", ["cells"]);
  cfg.remoteDevices.forEach((d, i) => {
    const there = (host: string, path: (string | number)[]) => out.push({ name: fq(host), address: d.address, path: ["remoteDevices", i, ...path] });
    d.cells.forEach((c, j) => there(c.id, ["cells", j, "id"]));
    d.organelles.forEach((o, j) => there(o.role, ["organelles", j, "role"]));
    if (d.discoveryPort !== undefined) {
      there("discovery", ["discoveryPort"]);
      there(FLEET_HOST, ["discoveryPort"]);
    }
  });
  extraHosts.forEach((h, i) => out.push({ name: fq(h.name), address: h.address, path: ["dns", "hosts", i, "name"] }));
  return out;
}

/** Pure: the `hostsEntries` output, one `<address> <name>` line per name (Windows reads at most 9 names a line). */
export function renderHostsEntries(names: LanName[]): string[] {
  return names.map((n) => `${n.address} ${n.name}`);
}

/** A CIDR's membership test, from node's own address matcher. */
export function cidrContains(cidr: string, address: string): boolean {
  const [net, bits] = cidr.split("/");
  const prefix = Number(bits);
  if (!net || !isIPv4(net) || !isIPv4(address) || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return false;
  const list = new BlockList();
  list.addSubnet(net, prefix, "ipv4");
  return list.check(address, "ipv4");
}

/** The /24 around an IPv4 address: the LAN when `aios:dns.lan` is not set. */
export function defaultLan(address: string): string {
  return `${address.split(".").slice(0, 3).join(".")}.0/24`;
}
