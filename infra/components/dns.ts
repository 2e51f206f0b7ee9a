// aios:infra:Dns: one A record per host name the stack serves, in a DigitalOcean domain, all
// pointing at the reserved IP (which outlives a replaced droplet).
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";

export interface DnsArgs {
  /** The DigitalOcean domain (zone) the records go in. */
  zone: string;
  /** Fully qualified host names, each inside the zone. */
  hosts: string[];
  address: pulumi.Input<string>;
  ttl: number;
}

/** Pure: a host's record name relative to its zone ("@" for the apex). */
export function recordName(host: string, zone: string): string {
  if (host === zone) return "@";
  if (!host.endsWith(`.${zone}`)) throw new Error(`dns.zone: host "${host}" is not inside "${zone}"`);
  return host.slice(0, -(zone.length + 1));
}

export class Dns extends pulumi.ComponentResource {
  readonly fqdns: pulumi.Output<string[]>;

  constructor(name: string, args: DnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aios:infra:Dns", name, {}, opts);
    const hosts = [...new Set(args.hosts)].sort();
    const records = hosts.map(
      (host) =>
        new digitalocean.DnsRecord(
          `${name}-${host}`,
          { domain: args.zone, type: "A", name: recordName(host, args.zone), value: args.address, ttl: args.ttl },
          { parent: this },
        ),
    );
    this.fqdns = pulumi.all(records.map((r) => r.fqdn));
    this.registerOutputs({ fqdns: this.fqdns });
  }
}
