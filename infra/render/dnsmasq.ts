// dnsmasq for the LAN domain: every name of lan-names.ts as a host record (A and PTR), nothing
// else answered from inside the domain (`local=`: an unknown name there is NXDOMAIN, never asked
// upstream), every other name forwarded to the configured upstreams (never the container's own
// resolv.conf).
import type { LanName } from "../lan-names.ts";

export const DNSMASQ_CONF = "/etc/dnsmasq.conf";

export interface DnsmasqOptions {
  domain: string;
  names: LanName[];
  upstreams: string[];
  /** The port dnsmasq listens on inside its container (53). */
  port: number;
  /** Listen on this address only (a test on 127.0.0.1); unset, every interface of the container. */
  listenAddress?: string;
}

export function renderDnsmasqConfig(o: DnsmasqOptions): string {
  const lines = [
    "# Rendered by the AIOS stack (infra/render/dnsmasq.ts); changes here are overwritten.",
    `port=${o.port}`,
    ...(o.listenAddress ? [`listen-address=${o.listenAddress}`, "bind-interfaces"] : []),
    // only the upstreams below, never /etc/resolv.conf or /etc/hosts of the container
    "no-resolv",
    "no-hosts",
    // plain names and private reverse lookups stay on the LAN
    "domain-needed",
    "bogus-priv",
    `local=/${o.domain}/`,
    // the config rejects a name given twice, so each name has one address
    ...o.names.map((n) => `host-record=${n.name},${n.address}`),
    ...o.upstreams.map((u) => `server=${u}`),
    "cache-size=1000",
    "log-facility=-",
  ];
  return `${lines.join("\n")}\n`;
}
