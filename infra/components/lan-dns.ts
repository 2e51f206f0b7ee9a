// aios:infra:LanDns: the LAN's DNS server on the hub device, dnsmasq in a container published
// on the device's LAN address only (UDP and TCP), so it never competes with a resolver the host
// runs on 127.0.0.53. (Not the VPS's Dns component: that one writes DigitalOcean records.)
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { LanDnsConfig } from "../config.ts";
import { LAN_DNS_MEMORY_MB } from "../config.ts";
import type { LanName } from "../lan-names.ts";
import type { ServiceSpec } from "../plan.ts";
import { DNSMASQ_CONF, renderDnsmasqConfig } from "../render/dnsmasq.ts";
import { serviceContainer } from "./container.ts";
import { pulled } from "./images.ts";

const DNS_PORT = 53;

export interface LanDnsArgs {
  dns: LanDnsConfig;
  domain: string;
  lanAddress: string;
  names: LanName[];
}

/** Pure: the container's plan (the health probe asks the server for the first of its names). */
export function lanDnsSpec(args: LanDnsArgs): ServiceSpec {
  const publish = (protocol: "udp" | "tcp") => ({ internal: DNS_PORT, external: args.dns.port, protocol, ip: args.lanAddress });
  return {
    name: "dns",
    kind: "dns",
    port: DNS_PORT,
    publish: [publish("udp"), publish("tcp")],
    memoryMb: args.dns.memoryMb ?? LAN_DNS_MEMORY_MB,
    networks: ["ingress"],
    healthPath: "",
    routed: false,
    protectedRoute: false,
  };
}

export class LanDns extends pulumi.ComponentResource {
  readonly container: docker.Container;
  readonly config: string;

  constructor(name: string, args: LanDnsArgs, opts: pulumi.ComponentResourceOptions) {
    super("aios:infra:LanDns", name, {}, opts);
    const o = { parent: this };
    this.config = renderDnsmasqConfig({ domain: args.domain, names: args.names, upstreams: args.dns.upstreams, port: DNS_PORT });
    const probeName = args.names[0]?.name ?? `dns.${args.domain}`;
    this.container = serviceContainer(
      {
        spec: lanDnsSpec(args),
        image: pulled("dnsmasq", o),
        // busybox's nslookup (the image is Alpine): NXDOMAIN or no answer fails the probe
        healthTest: ["nslookup", probeName, "127.0.0.1"],
        uploads: [{ file: DNSMASQ_CONF, content: this.config }],
      },
      o,
    );
    this.registerOutputs({});
  }
}
