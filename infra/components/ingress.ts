// Traefik from its file provider (no Docker socket): routes rendered from the device plan,
// TLS from the local CA, the dashboards behind basic auth with a password the stack generates.
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ServiceSpec } from "../plan.ts";
import { renderTraefikDynamic, renderTraefikStatic, renderUsersFile, TRAEFIK_FILES } from "../render/traefik.ts";
import { serviceContainer } from "./container.ts";
import { pulled } from "./images.ts";
import type { LocalCa } from "./tls.ts";

export interface IngressArgs {
  spec: ServiceSpec;
  domain: string;
  httpsPort: number;
  services: ServiceSpec[];
  cellBackends: { url: string }[];
  dashboardUser: string;
  ca: LocalCa;
}

export class Ingress extends pulumi.ComponentResource {
  readonly container: docker.Container;
  readonly dashboardPassword: pulumi.Output<string>;

  constructor(name: string, args: IngressArgs, opts: pulumi.ComponentResourceOptions) {
    super("aios:infra:Ingress", name, {}, opts);
    const o = { parent: this };
    const password = new random.RandomPassword("dashboard-password", { length: 24, special: false }, o);
    this.dashboardPassword = pulumi.secret(password.result);
    this.container = serviceContainer(
      {
        spec: args.spec,
        image: pulled("traefik", o),
        healthTest: ["traefik", "healthcheck", "--ping"],
        uploads: [
          { file: TRAEFIK_FILES.static, content: renderTraefikStatic({ httpsPort: args.httpsPort }) },
          {
            file: TRAEFIK_FILES.dynamic,
            content: renderTraefikDynamic({ domain: args.domain, services: args.services, cellBackends: args.cellBackends }),
          },
          { file: TRAEFIK_FILES.users, content: pulumi.secret(password.bcryptHash.apply((h) => renderUsersFile(args.dashboardUser, h))) },
          { file: TRAEFIK_FILES.cert, content: args.ca.certPem },
          { file: TRAEFIK_FILES.key, content: args.ca.keyPem, permissions: "0600" },
        ],
      },
      o,
    );
    this.registerOutputs({});
  }
}
