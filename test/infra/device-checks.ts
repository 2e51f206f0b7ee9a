// What a user relies on in any device stack, checked on the resources the program registered
// under mocks. Shared by the desktop and laptop suites.
import { readFileSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import { expect } from "vitest";
import { parse } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { leafDevices, parseConfig, type DeviceConfig } from "../../infra/config.ts";
import { loadConfig, type Role } from "../../app/src/config.ts";
import { scopePrefix } from "../../app/src/host.ts";
import { hostedRoles as appHostedRoles } from "../../app/src/host.ts";
import { Signing } from "../../app/src/lib/signing.ts";
import { busFleetKey, busPassword, deviceApiToken, deviceBusMembers, leafCredential, operatorApiToken } from "../../infra/identities.ts";
import { OPERATOR_ID } from "../../infra/bus-users.ts";
import { planServices } from "../../infra/plan.ts";
import { TRAEFIK_FILES } from "../../infra/render/traefik.ts";
import { signerOf } from "../helpers/signing.ts";
import { appSeriesNames, metricNames } from "../render/promql.ts";
import { checkTraefikDynamic } from "../render/traefik-schema.ts";
import { isSecretEnvelope, resolve, runStack, unwrap, type Registered } from "./mock-stack.ts";
import { loadStackConfig } from "./stack-config.ts";

export interface Upload {
  file: string;
  content: string;
}

export const CONTAINER = "docker:index/container:Container";

export function containers(resources: Registered[]): Registered[] {
  return resources.filter((r) => r.type === CONTAINER);
}

export function uploadsOf(c: Registered): Upload[] {
  return (unwrap(c.inputs.uploads) as Upload[] | undefined) ?? [];
}

export function uploadText(resources: Registered[], container: string, file: string): string {
  const c = containers(resources).find((r) => r.name === container);
  const u = c && uploadsOf(c).find((x) => x.file === file);
  if (!u) throw new Error(`${container} has no upload ${file}`);
  return u.content;
}

/** Restart policy, health check (waited for on update), replacement, memory, networks, volumes, provider. */
export function checkContainerBasics(resources: Registered[]): void {
  const networkNames = new Set(resources.filter((r) => r.type === "docker:index/network:Network").map((r) => r.inputs.name));
  const volumeNames = new Set(resources.filter((r) => r.type === "docker:index/volume:Volume").map((r) => r.inputs.name));
  for (const c of containers(resources)) {
    const i = unwrap(c.inputs) as {
      restart: string;
      memory: number;
      healthcheck: { tests: string[]; interval: string };
      networksAdvanced: { name: string; aliases: string[] }[];
      volumes: { volumeName: string; containerPath: string }[];
    };
    expect(i.restart, c.name).toBe("unless-stopped");
    // an update waits for the new container's health check and removes the old one first
    expect(c.inputs.wait, c.name).toBe(true);
    expect(c.deleteBeforeReplace, c.name).toBe(true);
    expect(i.healthcheck.interval, c.name).toBe("30s");
    expect(i.healthcheck.tests[0], c.name).toBe("CMD");
    expect(i.healthcheck.tests.length, c.name).toBeGreaterThan(1);
    expect(i.memory, c.name).toBeGreaterThanOrEqual(16);
    expect(i.networksAdvanced.length, c.name).toBeGreaterThan(0);
    const envs = (unwrap(c.inputs.envs) as string[] | undefined) ?? [];
    for (const n of i.networksAdvanced) {
      expect(networkNames, `${c.name} joins ${n.name}`).toContain(n.name);
      // the organelle host also answers to each of its roles' names
      expect(n.aliases, c.name).toEqual([c.name, ...hostedRoles(envs).map((r) => r.role)]);
    }
    for (const v of i.volumes) expect(volumeNames, `${c.name} mounts ${v.volumeName}`).toContain(v.volumeName);
    expect(c.provider, c.name).toMatch(/pulumi:providers:docker::docker::/);
    if (envs.some((e) => e.startsWith("AIOS_ROLE=") || e.startsWith("AIOS_ROLES="))) {
      // an app container keeps the image's NODE_OPTIONS (its heap cap follows the memory limit)
      // and is probed by the image's own small probe, as the image test runs them
      expect(envs.filter((e) => e.startsWith("NODE_OPTIONS=")), c.name).toEqual([]);
      expect(i.healthcheck.tests, c.name).toEqual(["CMD", ...imageHealthcheck()]);
    }
  }
}

/** The CMD of app/Dockerfile's HEALTHCHECK. */
function imageHealthcheck(): string[] {
  const m = /HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])/.exec(readFileSync(resolvePath(import.meta.dirname, "../../app/Dockerfile"), "utf8"));
  if (!m) throw new Error("app/Dockerfile: no HEALTHCHECK CMD [...] found");
  return JSON.parse(m[1]!) as string[];
}

export function hostPorts(resources: Registered[]): number[] {
  return containers(resources).flatMap((c) => ((unwrap(c.inputs.ports) as { external: number }[]) ?? []).map((p) => p.external));
}

/** Every published host port as `<port>/<protocol>` (53/udp and 53/tcp are two ports). */
export function hostPortKeys(resources: Registered[]): string[] {
  return containers(resources).flatMap((c) =>
    ((unwrap(c.inputs.ports) as { external: number; protocol?: string }[]) ?? []).map((p) => `${p.external}/${p.protocol ?? "tcp"}`),
  );
}

/** Every Traefik backend is a deployed container on its port, or a cell of a configured remote device. */
export function checkTraefik(resources: Registered[], cfg: DeviceConfig): void {
  const d = checkTraefikDynamic(uploadText(resources, "traefik", TRAEFIK_FILES.dynamic));
  const deployed = deployedAddresses(resources);
  const remote = new Set(cfg.remoteDevices.flatMap((r) => r.cells.map((c) => `${r.address}:${c.port}`)));
  for (const [name, s] of Object.entries(d.http.services)) {
    for (const srv of s.loadBalancer.servers) {
      const host = new URL(srv.url).host;
      expect(deployed.has(host) || remote.has(host), `service ${name} -> ${host}`).toBe(true);
    }
  }
}

/** The roles an organelle host runs (AIOS_ROLES), each with the port it listens on, from its env. */
export function hostedRoles(envs: string[]): { role: string; port: number }[] {
  const value = (name: string): string | undefined => envs.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
  const roles = value("AIOS_ROLES")?.split(",") ?? [];
  return roles.map((role) => ({ role, port: Number(value(`${scopePrefix(role as Role)}PORT`)) }));
}

/**
 * alias:port for every HTTP port a deployed container serves: the app's AIOS_PORT, each hosted
 * role's port under that role's alias, the images' documented ports.
 */
function deployedAddresses(resources: Registered[]): Set<string> {
  const out = new Set<string>();
  for (const c of containers(resources)) {
    const i = unwrap(c.inputs) as { envs: string[] };
    const ports = new Set<number>(KNOWN_PORTS[c.name] ?? []);
    const envPort = i.envs.find((e) => e.startsWith("AIOS_PORT="));
    if (envPort) ports.add(Number(envPort.split("=")[1]));
    for (const p of ports) out.add(`${c.name}:${p}`);
    for (const h of hostedRoles(i.envs)) out.add(`${h.role}:${h.port}`);
  }
  return out;
}

/** Ports the third-party images listen on by their own config (rendered files, not env). */
const KNOWN_PORTS: Record<string, number[]> = {
  traefik: [8082],
  "nats-exporter": [7777],
  prometheus: [9090],
  alertmanager: [9093],
  grafana: [3000],
  vault: [8200],
};

export function checkPrometheusTargets(resources: Registered[], cfg: DeviceConfig): void {
  const yml = parse(uploadText(resources, "prometheus", "/etc/prometheus/prometheus.yml")) as {
    scrape_configs: { job_name: string; static_configs: { targets: string[]; labels: { device: string } }[] }[];
  };
  const deployed = deployedAddresses(resources);
  const remotes = new Map(cfg.remoteDevices.map((d) => [d.address, d]));
  let count = 0;
  for (const job of yml.scrape_configs) {
    for (const sc of job.static_configs) {
      for (const t of sc.targets) {
        count++;
        const [host] = t.split(":");
        const remote = remotes.get(host!);
        if (remote) expect(sc.labels.device, t).toBe(remote.name);
        else {
          expect(deployed, `${job.job_name} target ${t}`).toContain(t);
          expect(sc.labels.device).toBe(cfg.device);
        }
      }
    }
  }
  expect(count).toBeGreaterThan(0);
}

export async function checkGrafanaMetrics(resources: Registered[]): Promise<void> {
  const dashboard = JSON.parse(uploadText(resources, "grafana", "/etc/grafana/dashboards/aios-fleet.json")) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };
  const exported = await appSeriesNames();
  for (const p of dashboard.panels) for (const t of p.targets) for (const n of metricNames(t.expr)) expect(exported, `${p.title}: ${n}`).toContain(n);
}

/** A container's env as NAME -> value. */
export const envMap = (envs: string[]): Record<string, string> => Object.fromEntries(envs.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));

/** Each bus member's environment in an app container, as the app reads it (a hosted role's scoped). */
export function memberEnvs(c: Registered): Record<string, string | undefined>[] {
  const env = envMap(unwrap(c.inputs.envs) as string[]);
  return appHostedRoles(env)?.map((r) => r.env) ?? (env.AIOS_ROLE ? [env] : []);
}

/**
 * Every app member signs: it holds the fleet's public key and a certificate that the app's own
 * start-up (loadConfig, which refuses a certificate not the fleet's for this user, role and
 * password) takes, given as plain env values, not secrets. Returns the members checked.
 */
export function checkSigning(resources: Registered[], busRoot: string): string[] {
  const checked: string[] = [];
  for (const c of containers(resources)) {
    for (const env of memberEnvs(c)) {
      const member = env.AIOS_NATS_USER!;
      expect(member, c.name).toBeTruthy();
      expect(env.AIOS_BUS_FLEET_KEY, member).toBe(busFleetKey(busRoot));
      // the files the container reads its tokens from, given as the values they hold
      const { AIOS_NATS_TOKEN_FILE: _bus, AIOS_TOKEN_FILE: _api, AIOS_ACCEPT_TOKENS_FILE: _accepted, ...rest } = env;
      const config = loadConfig({ ...rest, AIOS_NATS_TOKEN: busPassword(busRoot, member), AIOS_TOKEN: deviceApiToken("api-root", "device") });
      expect(config.sealer, member).toBeInstanceOf(Signing);
      expect(signerOf(config.sealer as Signing), c.name).toEqual({ member, role: env.AIOS_ROLE });
      checked.push(member);
    }
    // no secret in the env: neither the list nor an entry of it is wrapped as one
    const envs = c.inputs.envs;
    expect(isSecretEnvelope(envs), c.name).toBe(false);
    for (const e of (envs as unknown[] | undefined) ?? []) {
      if (/^AIOS_(\w+__)?BUS_(CERT|FLEET_KEY)=/.test(String(unwrap(e)))) expect(isSecretEnvelope(e), `${c.name} ${String(unwrap(e))}`).toBe(false);
    }
  }
  return checked;
}

/** Paths of plain (not secret-wrapped) strings that contain one of the secrets. */
export function plainSecretPaths(value: unknown, secrets: string[], path = ""): string[] {
  if (isSecretEnvelope(value)) return [];
  if (typeof value === "string") return secrets.some((s) => value.includes(s)) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => plainSecretPaths(v, secrets, `${path}[${i}]`));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => plainSecretPaths(v, secrets, `${path}.${k}`));
  }
  return [];
}

/** Every secret-looking value any resource was given or the stack exports. */
export function secretValues(resources: Registered[], base: string[]): string[] {
  const out = [...base];
  for (const r of resources) {
    if (r.type === "random:index/randomPassword:RandomPassword") out.push(`generated-${r.name}-secret`);
    if (r.type === "tls:index/privateKey:PrivateKey") out.push(`-----BEGIN PRIVATE KEY----- ${r.name}`);
  }
  out.push("secret-id-");
  return out;
}

export async function checkOutputs(outputs: Record<string, unknown>, secrets: string[]): Promise<void> {
  for (const [name, o] of Object.entries(outputs)) {
    if (!pulumi.Output.isInstance(o)) {
      expect(plainSecretPaths(o, secrets), name).toEqual([]);
      continue;
    }
    const value = await resolve(o as pulumi.Output<unknown>);
    const holdsSecret = plainSecretPaths(value, secrets).length > 0;
    if (holdsSecret) expect(await pulumi.isSecret(o as pulumi.Output<unknown>), `output ${name} holds a secret`).toBe(true);
  }
}


/** Runs a stack file (with `changes` to its keys, as `pulumi config set` would make) under mocks; with its parsed config and every secret value to look for. */
/** Every credential the stack derives from its roots: none may appear in plain text either. */
export function derivedSecrets(cfg: DeviceConfig): string[] {
  const api = cfg.apiToken;
  const bus = cfg.busToken;
  const devices = [cfg.device, ...cfg.remoteDevices.map((d) => d.name), ...(cfg.phone ? [cfg.phone.device] : [])];
  const memberIds = [...deviceBusMembers(cfg.device, planServices(cfg), [cfg.phone?.cell, ...leafDevices(cfg).map((d) => d.phoneCell)]).map((m) => m.id), OPERATOR_ID];
  return [
    operatorApiToken(api),
    ...devices.map((d) => deviceApiToken(api, d)),
    ...memberIds.map((id) => busPassword(bus, id)),
    ...[cfg.device, ...leafDevices(cfg).map((d) => d.name)].map((d) => leafCredential(bus, d).password),
  ];
}

export async function loadStack(stack: string, changes: Record<string, string> = {}) {
  const run = await runStack(stack, changes);
  const cfg = parseConfig({ ...loadStackConfig(stack), ...changes });
  return { ...run, secrets: [...secretValues(run.resources, run.secrets), ...derivedSecrets(cfg)], cfg };
}
