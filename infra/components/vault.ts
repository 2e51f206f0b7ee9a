// Vault in server mode with file storage on a volume. Once its container runs, a local command
// (on the machine running Pulumi, against the device's daemon) initialises and unseals it,
// stores each member's own tokens and issues one AppRole per app container. The unseal key, root token
// and AppRole credentials exist only as Pulumi secrets.
import * as command from "@pulumi/command";
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceSpec } from "../plan.ts";
import { renderVaultConfig, VAULT_PORT } from "../render/vault.ts";
import { memberSecretEnv, parseVaultInit, renderVaultInit, type VaultInitResult } from "../render/vault-init.ts";
import { containerName, dataVolume, serviceContainer, wgetProbe } from "./container.ts";
import { pulled } from "./images.ts";

export interface VaultArgs {
  spec: ServiceSpec;
  /**
   * App containers that get an AppRole, each with its own API token and bus passwords, one a
   * role it runs, keyed by the KV field that keeps it (no fleet root).
   */
  members: { name: string; api: pulumi.Output<string>; bus: { field: string; password: pulumi.Output<string> }[] }[];
  dockerHost?: string | undefined;
}

export class Vault extends pulumi.ComponentResource {
  readonly container: docker.Container;
  readonly address: string;
  /** Secret: what the init step produced. */
  readonly init: pulumi.Output<VaultInitResult>;

  constructor(name: string, args: VaultArgs, opts: pulumi.ComponentResourceOptions) {
    super("aios:infra:Vault", name, {}, opts);
    const o = { parent: this };
    this.address = `http://${args.spec.name}:${VAULT_PORT}`;
    this.container = serviceContainer(
      {
        spec: args.spec,
        image: pulled("vault", o),
        command: ["server"],
        // 200 once the server answers, sealed or not: unsealing is the init step's job.
        healthTest: wgetProbe(VAULT_PORT, "/v1/sys/health?standbyok=true&sealedcode=200&uninitcode=200"),
        volume: dataVolume(args.spec.name, o),
        uploads: [{ file: "/vault/config/vault.json", content: renderVaultConfig({ apiAddr: this.address }) }],
      },
      o,
    );
    const names = args.members.map((m) => m.name);
    const script = renderVaultInit({
      container: containerName(args.spec.name),
      members: args.members.map((m) => ({ name: m.name, busFields: m.bus.map((b) => b.field) })),
    });
    const run = new command.local.Command(
      "vault-init",
      {
        create: script,
        update: script,
        interpreter: ["/bin/sh", "-c"],
        environment: {
          ...memberSecretEnv(args.members.map((m) => ({ api: m.api, bus: m.bus.map((b) => b.password) }))),
          ...(args.dockerHost ? { DOCKER_HOST: args.dockerHost } : {}),
        },
        addPreviousOutputInEnv: true,
        logging: "none",
        // A new container (restart after an image change) comes up sealed: unseal it again.
        triggers: [this.container.id],
      },
      { ...o, dependsOn: [this.container], additionalSecretOutputs: ["stdout", "stderr"] },
    );
    this.init = pulumi.secret(run.stdout.apply((out) => parseVaultInit(out, names)));
    this.registerOutputs({});
  }
}
