// The laptop stack (Pulumi.laptop.yaml, its real config) under Pulumi's mocks.
import { beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import type { Device } from "../../infra/components/device.ts";
import { parseConfig, type DeviceConfig } from "../../infra/config.ts";
import { NATS_SECRETS_FILE } from "../../infra/render/nats.ts";
import { hostedRoles as appHostedRoles } from "../../app/src/host.ts";
import { Signing } from "../../app/src/lib/signing.ts";
import { acceptedTokenHashes, busFleetKey, busPassword, deviceApiToken, leafCredential, tokenHash } from "../../infra/identities.ts";
import { OPERATOR_ID } from "../../infra/bus-users.ts";
import { signerOf } from "../helpers/signing.ts";
import {
  checkContainerBasics,
  checkOutputs,
  checkSigning,
  checkTraefik,
  containers,
  derivedSecrets,
  envMap,
  hostedRoles,
  hostPorts,
  plainSecretPaths,
  loadStack,
  uploadsOf,
  uploadText,
} from "./device-checks.ts";
import { resolve, unwrap, type Registered } from "./mock-stack.ts";
import { loadStackConfig, TEST_SECRETS } from "./stack-config.ts";

let resources: Registered[];
let device: Device;
let secrets: string[];
let cfg: DeviceConfig;

beforeAll(async () => {
  ({ resources, device, secrets, cfg } = await loadStack("laptop"));
});

const ORGANELLES = ["consciousness-sync", "network-listener", "task-dispatcher", "vscode-bridge"];

describe("laptop stack under mocks", () => {
  it("is light: alpha, the four organelles in one container, a NATS leaf and Traefik; no Vault, Prometheus or Grafana", () => {
    expect(containers(resources).map((c) => c.name).sort()).toEqual(["alpha", "organelles", "nats", "nats-exporter", "traefik"].sort());
    expect(resources.filter((r) => r.type === "aios:infra:OrganelleHost").map((r) => r.name)).toEqual(["organelles"]);
    expect(resources.some((r) => r.type === "aios:infra:Organelle")).toBe(false);
    // no Vault init: the only local command is the release step that keeps the good app image
    expect(resources.filter((r) => r.type === "command:local:Command").map((r) => r.name)).toEqual(["release"]);
  });

  it("the organelle host runs the four roles in one process, each with its own port and URL, under the roles' names", () => {
    const host = containers(resources).find((c) => c.name === "organelles")!;
    const env = unwrap(host.inputs.envs) as string[];
    expect(hostedRoles(env).sort((a, b) => a.port - b.port)).toEqual([
      { role: "network-listener", port: 3000 },
      { role: "vscode-bridge", port: 3001 },
      { role: "consciousness-sync", port: 3002 },
      { role: "task-dispatcher", port: 3003 },
    ]);
    expect(env.filter((e) => e.startsWith("AIOS_ROLE="))).toEqual([]);
    expect(env).toContain("AIOS_TASK_DISPATCHER__PUBLIC_URL=http://192.168.1.20:3003");
    expect(env).toContain("AIOS_DATA_DIR=/data");
    const aliases = (unwrap(host.inputs.networksAdvanced) as { aliases: string[] }[])[0]!.aliases;
    expect(aliases.sort()).toEqual(["organelles", ...ORGANELLES].sort());
  });

  it("every container: unless-stopped, 30 s health check waited for on update, deleted before its replacement, memory limit, known networks and volumes; app containers with the image's NODE_OPTIONS and probe", () => {
    checkContainerBasics(resources);
  });

  it("all limits together at most 400 MB, the organelle host's included", () => {
    const mem = Object.fromEntries(containers(resources).map((c) => [c.name, c.inputs.memory as number]));
    expect(mem.organelles).toBeGreaterThan(0);
    const total = Object.values(mem).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(400);
  });

  it("no two containers publish the same host port; metrics ports published for the desktop's Prometheus", () => {
    const ports = hostPorts(resources);
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports.sort((a, b) => a - b)).toEqual([80, 443, 3000, 3001, 3002, 3003, 4222, 7777, 8000, 8082]);
  });

  it("the desktop's Prometheus targets for this laptop are what the laptop publishes", () => {
    const desktop = parseConfig(loadStackConfig("desktop")).remoteDevices.find((d) => d.name === "laptop")!;
    const published = new Set(hostPorts(resources));
    for (const p of [...desktop.cells.map((c) => c.port), ...desktop.organelles.map((o) => o.port), desktop.natsExporterPort!, desktop.traefikMetricsPort!]) {
      expect(published, String(p)).toContain(p);
    }
  });

  it("every Traefik router points at a service that exists; cells.aios.lan fails over to the desktop's cells", () => {
    checkTraefik(resources, cfg);
    expect(uploadText(resources, "traefik", "/etc/traefik/dynamic.yml")).toContain("http://192.168.1.10:8002");
  });

  it("NATS is a leaf of the hub from config; its credentials only in the secret include", () => {
    const secretsConf = uploadText(resources, "nats", `/etc/nats/${NATS_SECRETS_FILE}`);
    expect(secretsConf).toContain("@192.168.1.10:7422");
    expect(uploadText(resources, "nats", "/etc/nats/nats.conf")).not.toContain(TEST_SECRETS["aios:busToken"]);
    const nats = containers(resources).find((c) => c.name === "nats")!;
    expect(nats.inputs.uploads).toHaveProperty("4dabf18193072939515e22adb298388d");
  });

  it("each member is its own bus user: its own password file, never the fleet's root; the leaf lists only this device's members and the phone", () => {
    const root = TEST_SECRETS["aios:busToken"];
    const alpha = containers(resources).find((x) => x.name === "alpha")!;
    expect(unwrap(alpha.inputs.envs) as string[]).toContain("AIOS_NATS_USER=alpha");
    expect(uploadText(resources, "alpha", "/run/secrets/nats-token")).toBe(busPassword(root, "alpha"));
    // the organelle host: each hosted role its own user and password, as the app's host scoping reads them
    const host = containers(resources).find((x) => x.name === "organelles")!;
    const env = envMap(unwrap(host.inputs.envs) as string[]);
    expect(env.AIOS_NATS_USER).toBeUndefined();
    expect(env.AIOS_NATS_TOKEN_FILE).toBeUndefined();
    const roles = appHostedRoles(env)!;
    expect(roles.map((r) => r.role).sort()).toEqual(ORGANELLES);
    for (const r of roles) {
      expect(r.env.AIOS_NATS_USER, r.role).toBe(`${r.role}-laptop`);
      expect(uploadText(resources, "organelles", r.env.AIOS_NATS_TOKEN_FILE!), r.role).toBe(busPassword(root, `${r.role}-laptop`));
    }
    for (const c of containers(resources)) for (const u of uploadsOf(c)) expect(u.content, `${c.name} ${u.file}`).not.toContain(root);
    const conf = uploadText(resources, "nats", `/etc/nats/${NATS_SECRETS_FILE}`);
    const users = [...conf.matchAll(/^ {6}user: "([^"]+)"/gm)].map((m) => m[1]).sort();
    expect(users).toEqual(["alpha", ...ORGANELLES.map((o) => `${o}-laptop`), "beta", OPERATOR_ID].sort());
    expect(conf).toContain(`leaf-laptop:${leafCredential(root, "laptop").password}@192.168.1.10:7422`);
  });

  it("NATS is a leaf without JetStream: no volume, and its nats.conf maps JetStream to the hub's domain", () => {
    const nats = containers(resources).find((c) => c.name === "nats")!;
    expect(unwrap(nats.inputs.volumes) ?? []).toEqual([]);
    expect(resources.some((r) => r.type === "docker:index/volume:Volume" && r.name === "nats-data")).toBe(false);
    const conf = uploadText(resources, "nats", "/etc/nats/nats.conf");
    expect(conf).toContain("default_js_domain");
    expect(conf).not.toMatch(/jetstream\s*\{/);
  });

  it("without Vault, tokens reach the app as secret files, never env values", () => {
    const alpha = containers(resources).find((c) => c.name === "alpha")!;
    expect(uploadsOf(alpha).map((u) => u.file)).toEqual(["/run/secrets/aios-token", "/run/secrets/nats-token", "/etc/aios/accepted-tokens"]);
    // the laptop's own token, and the digests of the operator's and the desktop's (its remote device), not the phone's
    const api = TEST_SECRETS["aios:apiToken"];
    expect(uploadText(resources, "alpha", "/run/secrets/aios-token")).toBe(deviceApiToken(api, "laptop"));
    expect(uploadText(resources, "alpha", "/etc/aios/accepted-tokens")).toBe(acceptedTokenHashes(api, ["desktop"]));
    expect(uploadText(resources, "alpha", "/etc/aios/accepted-tokens")).not.toContain(tokenHash(deviceApiToken(api, "phone")));
    const env = unwrap(alpha.inputs.envs) as string[];
    expect(env).toContain("AIOS_TOKEN_FILE=/run/secrets/aios-token");
    expect(env).toContain("AIOS_PUBLIC_URL=http://192.168.1.20:8000");
    const host = unwrap(containers(resources).find((c) => c.name === "organelles")!.inputs.envs) as string[];
    expect(host).toContain("AIOS_NETWORK_LISTENER__PRIMARY_CELL_URL=http://192.168.1.10:8000");
    expect(host).toContain("AIOS_TASK_DISPATCHER__NATS_TOKEN_FILE=/run/secrets/nats-token-task-dispatcher");
    for (const r of resources) expect(plainSecretPaths(r.inputs, secrets), `${r.type} ${r.name}`).toEqual([]);
  });

  it("every member (secret-file credentials) signs, each hosted role with its own certificate", () => {
    const members = checkSigning(resources, TEST_SECRETS["aios:busToken"]);
    expect(members.sort()).toEqual(["alpha", ...ORGANELLES.map((o) => `${o}-laptop`)].sort());
  });

  it("the secret check itself finds a token in plain text", () => {
    expect(plainSecretPaths({ envs: [`X=${TEST_SECRETS["aios:apiToken"]}`] }, secrets)).toEqual([".envs[0]"]);
  });

  it("outputs: no Grafana URL, bus URL on the laptop, the phone's command (secret) joins the laptop first, hub second", async () => {
    await checkOutputs({ ...device.outputs }, secrets);
    expect(device.outputs.grafanaUrl).toBeUndefined();
    expect(device.outputs.endpoints.cells).toBe("https://cells.aios.lan");
    expect(Object.keys(device.outputs.endpoints).sort()).toEqual(["alpha", "cells", ...ORGANELLES, "traefik"].sort());
    expect(await resolve(device.outputs.busUrl)).toBe("nats://192.168.1.20:4222");
    expect(await pulumi.isSecret(device.outputs.termuxBootstrap!)).toBe(true);
    const cmd = await resolve(device.outputs.termuxBootstrap!);
    expect(cmd.indexOf("@192.168.1.20:4222")).toBeLessThan(cmd.indexOf("@192.168.1.10:4222"));
    // only the phone's own credentials: its token, its cell's bus user, digests of the callers' tokens
    const api = TEST_SECRETS["aios:apiToken"];
    expect(cmd).toContain(`printf '%s' '${deviceApiToken(api, "phone")}' |`);
    expect(cmd).toContain(`nats://beta:${busPassword(TEST_SECRETS["aios:busToken"], "beta")}@192.168.1.20:4222`);
    expect(cmd).toContain(`--accept-tokens '${acceptedTokenHashes(api, ["laptop", "desktop"]).trim().split("\n").join(",")}'`);
    // and the cell's certificate with the fleet's key, which its startup accepts for beta
    const flag = (name: string) => new RegExp(`--${name} '([A-Za-z0-9_-]+)'`).exec(cmd)?.[1];
    expect(flag("fleet-key")).toBe(busFleetKey(TEST_SECRETS["aios:busToken"]));
    const signing = new Signing({ member: "beta", role: "cell", password: busPassword(TEST_SECRETS["aios:busToken"], "beta"), cert: flag("bus-cert")!, fleetKey: flag("fleet-key")! });
    expect(signerOf(signing)).toEqual({ member: "beta", role: "cell" });
    const others = derivedSecrets(cfg).filter((t) => t !== deviceApiToken(api, "phone") && t !== busPassword(TEST_SECRETS["aios:busToken"], "beta"));
    for (const t of [...others, api, TEST_SECRETS["aios:busToken"]]) expect(cmd).not.toContain(t);
  });

  it("runs no DNS server without aios:dns, but still outputs its hosts lines: its own names and the desktop's", () => {
    expect(containers(resources).map((c) => c.name)).not.toContain("dns");
    expect(device.outputs.hostsEntries).toContain("192.168.1.20 alpha.aios.lan");
    expect(device.outputs.hostsEntries).toContain("192.168.1.10 father.aios.lan");
    expect(device.outputs.hostsEntries).toContain("192.168.1.10 fleet.aios.lan");
  });
});

describe("laptop stack with organelleHost.mode separate", () => {
  let separate: Registered[];
  beforeAll(async () => {
    ({ resources: separate } = await loadStack("laptop", { "aios:organelleHost": '{"mode":"separate"}', "aios:memoryBudgetMb": "600" }));
  });

  it("runs one container per organelle again, 80 MB each, on the same ports and routes", () => {
    expect(containers(separate).map((c) => c.name).sort()).toEqual(["alpha", ...ORGANELLES, "nats", "nats-exporter", "traefik"].sort());
    expect(separate.filter((r) => r.type === "aios:infra:Organelle").map((r) => r.name).sort()).toEqual(ORGANELLES);
    for (const o of ORGANELLES) expect(containers(separate).find((c) => c.name === o)!.inputs.memory, o).toBe(80);
    expect(hostPorts(separate).sort((a, b) => a - b)).toEqual(hostPorts(resources).sort((a, b) => a - b));
    expect(uploadText(separate, "traefik", "/etc/traefik/dynamic.yml")).toBe(uploadText(resources, "traefik", "/etc/traefik/dynamic.yml"));
    checkContainerBasics(separate);
    checkTraefik(separate, cfg);
    const listener = unwrap(containers(separate).find((c) => c.name === "network-listener")!.inputs.envs) as string[];
    expect(listener).toContain("AIOS_PRIMARY_CELL_URL=http://192.168.1.10:8000");
    expect(checkSigning(separate, TEST_SECRETS["aios:busToken"]).sort()).toEqual(["alpha", ...ORGANELLES.map((o) => `${o}-laptop`)].sort());
    for (const o of ORGANELLES) {
      expect(unwrap(containers(separate).find((c) => c.name === o)!.inputs.envs) as string[], o).toContain(`AIOS_NATS_USER=${o}-laptop`);
      expect(uploadText(separate, o, "/run/secrets/nats-token"), o).toBe(busPassword(TEST_SECRETS["aios:busToken"], `${o}-laptop`));
    }
  });
});
