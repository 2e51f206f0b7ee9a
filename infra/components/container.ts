// The settings every container of a device shares: restart policy, a 30 s health check, a
// memory limit, only the networks it needs (with its service name as alias), a data volume.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { NETWORKS, type ServiceSpec } from "../plan.ts";

export const HEALTH_INTERVAL = "30s";
export const RESTART = "unless-stopped";

export interface ContainerArgs {
  spec: ServiceSpec;
  image: pulumi.Input<string>;
  /** The health probe (CMD form) run inside the container. */
  healthTest: string[];
  envs?: pulumi.Input<string>[];
  command?: string[];
  uploads?: pulumi.Input<docker.types.input.ContainerUpload>[];
  /** Named volume mounted at spec.dataPath. */
  volume?: docker.Volume;
  tmpfs?: Record<string, string>;
}

export const containerName = (name: string): string => `aios-${name}`;

/** A data volume for a service that keeps data. */
export function dataVolume(name: string, opts: pulumi.CustomResourceOptions): docker.Volume {
  return new docker.Volume(`${name}-data`, { name: `aios-${name}-data` }, opts);
}

export function serviceContainer(args: ContainerArgs, opts: pulumi.CustomResourceOptions): docker.Container {
  const { spec } = args;
  return new docker.Container(
    spec.name,
    {
      name: containerName(spec.name),
      image: args.image,
      restart: RESTART,
      memory: spec.memoryMb,
      healthcheck: { tests: ["CMD", ...args.healthTest], interval: HEALTH_INTERVAL, timeout: "5s", retries: 3, startPeriod: "20s" },
      // the organelle host answers to each of its roles' names too, so routes and scrape targets
      // address a role the same way in either mode
      networksAdvanced: spec.networks.map((n) => ({ name: NETWORKS[n], aliases: [spec.name, ...(spec.hosts ?? []).map((h) => h.name)] })),
      ports: spec.publish.map((p) => ({ internal: p.internal, external: p.external, ...(p.protocol ? { protocol: p.protocol } : {}), ...(p.ip ? { ip: p.ip } : {}) })),
      volumes: args.volume && spec.dataPath ? [{ volumeName: args.volume.name, containerPath: spec.dataPath }] : [],
      envs: args.envs ?? [],
      ...(args.command ? { command: args.command } : {}),
      ...(args.tmpfs ? { tmpfs: args.tmpfs } : {}),
      uploads: args.uploads ?? [],
      logOpts: { "max-size": "10m", "max-file": "3" },
    },
    opts,
  );
}

/** HTTP probe for images that ship busybox or alpine wget. */
export function wgetProbe(port: number, path: string): string[] {
  return ["wget", "-q", "--spider", `http://127.0.0.1:${port}${path}`];
}

/** The app image's own probe: /health on AIOS_PORT, with node:http (the image has no wget). */
export const APP_PROBE = ["node", "dist/healthcheck.js"];
