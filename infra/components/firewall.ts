// aios:infra:Firewall: the droplet's only doors. SSH from the configured CIDRs, HTTP(S) and the
// NATS leaf-node port (TLS) from anywhere; nothing else in. Vault, Prometheus, Grafana and the
// NATS client port stay closed: reach them through Traefik with auth, or an SSH tunnel.
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";

const ANYWHERE = ["0.0.0.0/0", "::/0"];

export interface FirewallArgs {
  dropletId: pulumi.Input<number>;
  sshAllowedCidrs: string[];
  /** The NATS leaf-node port (TLS). */
  leafPort: number;
}

/** Pure: the inbound rules, so tests and the README can read exactly what is open. */
export function inboundRules(sshAllowedCidrs: string[], leafPort: number): digitalocean.types.input.FirewallInboundRule[] {
  return [
    { protocol: "tcp", portRange: "22", sourceAddresses: [...sshAllowedCidrs] },
    { protocol: "tcp", portRange: "80", sourceAddresses: ANYWHERE },
    { protocol: "tcp", portRange: "443", sourceAddresses: ANYWHERE },
    { protocol: "tcp", portRange: String(leafPort), sourceAddresses: ANYWHERE },
  ];
}

// Out: packages, Let's Encrypt, Spaces, DNS and time all need the world.
const OUTBOUND: digitalocean.types.input.FirewallOutboundRule[] = [
  { protocol: "tcp", portRange: "1-65535", destinationAddresses: ANYWHERE },
  { protocol: "udp", portRange: "1-65535", destinationAddresses: ANYWHERE },
  { protocol: "icmp", destinationAddresses: ANYWHERE },
];

export class Firewall extends pulumi.ComponentResource {
  readonly firewallId: pulumi.Output<string>;

  constructor(name: string, args: FirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aios:infra:Firewall", name, {}, opts);
    const fw = new digitalocean.Firewall(
      name,
      {
        name,
        dropletIds: [args.dropletId],
        inboundRules: inboundRules(args.sshAllowedCidrs, args.leafPort),
        outboundRules: OUTBOUND,
      },
      { parent: this },
    );
    this.firewallId = fw.id;
    this.registerOutputs({ firewallId: this.firewallId });
  }
}
