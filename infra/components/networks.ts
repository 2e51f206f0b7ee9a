// The device's three networks: ingress (Traefik to what it routes), the dendritic mesh (cells,
// organelles, the bus, Vault) and observability (Prometheus and what it scrapes).
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { NETWORKS, type NetworkName } from "../plan.ts";

export interface NetworksArgs {
  meshSubnet: string;
  ingressSubnet: string;
}

export class Networks extends pulumi.ComponentResource {
  readonly networks: Record<NetworkName, docker.Network>;

  constructor(name: string, args: NetworksArgs, opts: pulumi.ComponentResourceOptions) {
    super("aios:infra:Networks", name, {}, opts);
    const o = { parent: this };
    this.networks = {
      ingress: new docker.Network("ingress", { name: NETWORKS.ingress, ipamConfigs: [{ subnet: args.ingressSubnet }] }, o),
      mesh: new docker.Network("mesh", { name: NETWORKS.mesh, ipamConfigs: [{ subnet: args.meshSubnet }] }, o),
      observability: new docker.Network("observability", { name: NETWORKS.observability, internal: false }, o),
    };
    this.registerOutputs({});
  }
}
