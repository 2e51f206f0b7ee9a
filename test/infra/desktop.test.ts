// The desktop stack (Pulumi.desktop.yaml, its real config) under Pulumi's mocks.
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import type { Device } from "../../infra/components/device.ts";
import type { DeviceConfig } from "../../infra/config.ts";
import { hostedRoles as appHostedRoles } from "../../app/src/host.ts";
import { Signing, SigningError } from "../../app/src/lib/signing.ts";
import { busFleetKey, busPassword, deviceApiToken } from "../../infra/identities.ts";
import { NATS_SECRETS_FILE } from "../../infra/render/nats.ts";
import { STACK_ENV } from "../../infra/services.ts";
import { DNSMASQ_CONF } from "../../infra/render/dnsmasq.ts";
import { hasTool } from "../helpers/tools.ts";
import { runTool, tempFiles } from "../render/tool.ts";
import {
  checkContainerBasics,
  checkGrafanaMetrics,
  checkOutputs,
  checkPrometheusTargets,
  checkSigning,
  checkTraefik,
  containers,
  envMap,
  hostPortKeys,
  plainSecretPaths,
  loadStack,
  memberEnvs,
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
  ({ resources, device, secrets, cfg } = await loadStack("desktop"));
});

const byType = (type: string) => resources.filter((r) => r.type === type).map((r) => r.name).sort();

describe("desktop stack under mocks", () => {
  it("deploys the desktop inventory", () => {
    expect(containers(resources).map((c) => c.name).sort()).toEqual(
      ["alertmanager", "discovery", "dns", "father", "grafana", "nats", "nats-exporter", "nous", "prometheus", "traefik", "vault"].sort(),
    );
    expect(byType("docker:index/network:Network")).toEqual(["ingress", "mesh", "observability"]);
    expect(byType("aios:infra:Cell")).toEqual(["father", "nous"]);
    expect(byType("aios:infra:Discovery")).toEqual(["discovery"]);
    expect(byType("aios:infra:Organelle")).toEqual([]);
    for (const t of ["Device", "Networks", "AppImage", "LocalCa", "Bus", "Vault", "Ingress", "Observability", "LanDns", "Release"]) {
      expect(byType(`aios:infra:${t}`).length, t).toBe(1);
    }
    expect(byType("command:local:Command")).toEqual(["release", "vault-init"]);
    const mesh = resources.find((r) => r.name === "mesh")!;
    expect(unwrap(mesh.inputs.ipamConfigs)).toEqual([{ subnet: "172.28.0.0/16" }]);
  });

  it("every container: unless-stopped, 30 s health check waited for on update, deleted before its replacement, memory limit, known networks and volumes, the device's provider; app containers with the image's NODE_OPTIONS and probe", () => {
    checkContainerBasics(resources);
  });

  it("containers join only the networks they need", () => {
    const nets = (name: string) =>
      (unwrap(containers(resources).find((c) => c.name === name)!.inputs.networksAdvanced) as { name: string }[]).map((n) => n.name).sort();
    expect(nets("father")).toEqual(["aios-dendritic-mesh", "aios-ingress", "aios-observability"]);
    expect(nets("nats")).toEqual(["aios-dendritic-mesh", "aios-observability"]);
    expect(nets("nats-exporter")).toEqual(["aios-observability"]);
    expect(nets("vault")).toEqual(["aios-dendritic-mesh", "aios-ingress"]);
    expect(nets("grafana")).toEqual(["aios-ingress", "aios-observability"]);
    // the app trusts X-Forwarded-For from Traefik's network only, so clients behind it are told apart
    const ingress = resources.find((r) => r.type === "docker:index/network:Network" && r.name === "ingress")!;
    expect(unwrap(ingress.inputs.ipamConfigs)).toEqual([{ subnet: "172.29.0.0/16" }]);
    const father = unwrap(containers(resources).find((c) => c.name === "father")!.inputs) as { envs: string[] };
    expect(father.envs).toContain("AIOS_TRUST_PROXY=172.29.0.0/16");
  });

  it("keeps data on named volumes: cells, discovery, NATS, Vault, Prometheus, Alertmanager, Grafana", () => {
    for (const name of ["father", "nous", "discovery", "nats", "vault", "prometheus", "alertmanager", "grafana"]) {
      const c = containers(resources).find((r) => r.name === name)!;
      expect((unwrap(c.inputs.volumes) as unknown[]).length, name).toBe(1);
    }
  });

  it("no two containers publish the same host port", () => {
    const ports = hostPortKeys(resources);
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports.sort()).toEqual(["4222/tcp", "443/tcp", "53/tcp", "53/udp", "7422/tcp", "80/tcp", "8000/tcp", "8001/tcp", "8002/tcp"]);
  });

  it("app containers run the image built from app/, pinned to its digest", () => {
    const image = resources.find((r) => r.type === "docker:index/image:Image")!;
    expect(unwrap(image.inputs.build)).toMatchObject({ context: expect.stringMatching(/\/app$/), dockerfile: expect.stringMatching(/\/app\/Dockerfile$/) });
    for (const name of ["father", "nous", "discovery"]) {
      expect(containers(resources).find((c) => c.name === name)!.inputs.image).toBe(`sha256:${"a".repeat(64)}`);
    }
  });

  it("every Traefik router points at a service that exists, every backend at a deployed container or a remote cell", () => {
    checkTraefik(resources, cfg);
  });

  it("every Prometheus target is a deployed container or a configured remote device", () => {
    checkPrometheusTargets(resources, cfg);
  });

  it("every metric a Grafana panel queries is one the app exports", async () => {
    await checkGrafanaMetrics(resources);
  });

  it("no container env and no resource input holds a secret in plain text", () => {
    for (const r of resources) expect(plainSecretPaths(r.inputs, secrets), `${r.type} ${r.name}`).toEqual([]);
    for (const c of containers(resources)) {
      for (const e of unwrap(c.inputs.envs) as string[]) for (const s of secrets) expect(e, c.name).not.toContain(s);
    }
  });

  it("every member (Vault credentials) signs: the fleet's key and its own certificate, which the app accepts only for it", () => {
    const root = TEST_SECRETS["aios:busToken"];
    expect(checkSigning(resources, root).sort()).toEqual(["discovery-desktop", "father", "nous"]);
    // a certificate is one member's: father's does not pass for nous
    const [father, nous] = ["father", "nous"].map((n) => memberEnvs(containers(resources).find((c) => c.name === n)!)[0]!);
    expect(() => new Signing({ member: "nous", role: "cell", password: busPassword(root, "nous"), cert: father!.AIOS_BUS_CERT!, fleetKey: nous!.AIOS_BUS_FLEET_KEY! })).toThrow(SigningError);
  });

  it("no output holds a secret in plain text; the secret ones are Pulumi secrets", async () => {
    await checkOutputs({ ...device.outputs }, secrets);
    for (const k of ["termuxBootstrap", "vaultUnsealKey", "vaultRootToken", "dashboardPassword", "grafanaAdminPassword", "operatorToken", "operatorBusPassword"] as const) {
      expect(await pulumi.isSecret(device.outputs[k]!), k).toBe(true);
    }
    // the fleet's public key is no secret: the operator's fleet command checks presence with it
    expect(await pulumi.isSecret(device.outputs.busFleetKey)).toBe(false);
    expect(await resolve(device.outputs.busFleetKey)).toBe(busFleetKey(TEST_SECRETS["aios:busToken"]));
  });

  it("cells get their credentials from Vault: an AppRole login step writes token files on a private tmpfs", () => {
    const father = containers(resources).find((c) => c.name === "father")!;
    const i = unwrap(father.inputs) as { command: string[]; tmpfs: Record<string, string>; envs: string[] };
    expect(i.command).toEqual(["sh", "-c", "node /opt/aios/vault-login.mjs && exec node dist/main.js"]);
    expect(Object.keys(i.tmpfs)).toEqual(["/run/aios"]);
    expect(i.envs).toContain("AIOS_TOKEN_FILE=/run/aios/token");
    expect(i.envs).toContain("AIOS_NATS_TOKEN_FILE=/run/aios/nats-token");
    const files = uploadsOf(father).map((u) => u.file);
    expect(files).toEqual(["/run/secrets/vault-role-id", "/run/secrets/vault-secret-id", "/opt/aios/vault-login.mjs", "/etc/aios/accepted-tokens"]);
    expect(uploadText(resources, "father", "/run/secrets/vault-secret-id")).toBe("secret-id-father");
    const init = resources.find((r) => r.name === "vault-init")!;
    expect(init.inputs.logging).toBe("none");
    // Vault gets each member's own secrets, in the order of the script's member list; no root
    const env = unwrap(init.inputs.environment) as Record<string, string>;
    const loop = /for name in ([^;]+); do/.exec(unwrap(init.inputs.create) as string)![1]!;
    const names = loop.split(" ").map((n) => n.replace(/'/g, ""));
    expect(names).toEqual(["father", "nous", "discovery"]);
    names.forEach((name, i) => {
      expect(env[`MEMBER_API_${i}`], name).toBe(deviceApiToken(TEST_SECRETS["aios:apiToken"], "desktop"));
      expect(env[`MEMBER_BUS_${i}_0`], name).toBe(busPassword(TEST_SECRETS["aios:busToken"], name === "discovery" ? "discovery-desktop" : name));
    });
    expect(Object.values(env)).not.toContain(TEST_SECRETS["aios:apiToken"]);
    expect(Object.values(env)).not.toContain(TEST_SECRETS["aios:busToken"]);
  });

  it("Vault runs in server mode from its config file, not dev mode", () => {
    const vault = containers(resources).find((c) => c.name === "vault")!;
    expect(unwrap(vault.inputs.command)).toEqual(["server"]);
    expect(JSON.parse(uploadText(resources, "vault", "/vault/config/vault.json")).storage).toEqual({ file: { path: "/vault/file" } });
  });

  it("NATS is the hub: JetStream on its volume, leaf-node listener, token auth in the secret include", () => {
    const secretsConf = uploadText(resources, "nats", `/etc/nats/${NATS_SECRETS_FILE}`);
    expect(secretsConf).toContain("leafnodes {");
    expect(secretsConf).toContain('listen: "0.0.0.0:7422"');
    expect(uploadText(resources, "nats", "/etc/nats/nats.conf")).toContain('domain: "hub"');
  });

  it("nats-server runs one Go scheduler thread, as in the benches", () => {
    expect(unwrap(containers(resources).find((c) => c.name === "nats")!.inputs.envs)).toEqual(["GOMAXPROCS=1"]);
  });

  it("outputs: endpoints per service, CA certificate, bus URL, Grafana URL, the phone's command", async () => {
    const o = device.outputs;
    expect(o.endpoints).toEqual({
      father: "https://father.aios.lan",
      nous: "https://nous.aios.lan",
      discovery: "https://discovery.aios.lan",
      traefik: "https://traefik.aios.lan",
      vault: "https://vault.aios.lan",
      prometheus: "https://prometheus.aios.lan",
      alertmanager: "https://alertmanager.aios.lan",
      grafana: "https://grafana.aios.lan",
      cells: "https://cells.aios.lan",
      fleet: "https://fleet.aios.lan",
    });
    expect(await resolve(o.caCertificate)).toBe("-----BEGIN CERTIFICATE----- ca");
    expect(await resolve(o.busUrl)).toBe("nats://192.168.1.10:4222");
    expect(o.grafanaUrl).toBe("https://grafana.aios.lan");
    const cmd = await resolve(o.termuxBootstrap!);
    expect(cmd).toContain("--cell 'beta' --port 8000 --device 'phone'");
    expect(cmd).toContain(`@192.168.1.10:4222'`);
    expect(cmd).toContain("--token-stdin");
  });

  it("runs the LAN's DNS server: dnsmasq published on the LAN address only (UDP and TCP), with every name of the fleet", () => {
    const dns = containers(resources).find((c) => c.name === "dns")!;
    expect(unwrap(dns.inputs.ports)).toEqual([
      { internal: 53, external: 53, protocol: "udp", ip: "192.168.1.10" },
      { internal: 53, external: 53, protocol: "tcp", ip: "192.168.1.10" },
    ]);
    const conf = uploadText(resources, "dns", DNSMASQ_CONF);
    for (const line of [
      "host-record=father.aios.lan,192.168.1.10",
      "host-record=grafana.aios.lan,192.168.1.10",
      "host-record=fleet.aios.lan,192.168.1.10",
      "host-record=cells.aios.lan,192.168.1.10",
      "host-record=alpha.aios.lan,192.168.1.20",
      "host-record=task-dispatcher.aios.lan,192.168.1.20",
      "local=/aios.lan/",
      "server=1.1.1.1",
    ]) {
      expect(conf.split("\n"), line).toContain(line);
    }
  });

  it.skipIf(!hasTool("dnsmasq"))("the DNS server's rendered config passes dnsmasq --test", () => {
    const files = tempFiles({ "dnsmasq.conf": uploadText(resources, "dns", DNSMASQ_CONF) });
    try {
      const r = runTool("dnsmasq", ["--test", `--conf-file=${files.path("dnsmasq.conf")}`]);
      expect(r.out).toContain("syntax check OK");
      expect(r.code, r.out).toBe(0);
    } finally {
      files.cleanup();
    }
  });

  it("outputs hostsEntries (one line per name) and the published ports a firewall must open", () => {
    const o = device.outputs;
    expect(o.hostsEntries).toContain("192.168.1.10 father.aios.lan");
    expect(o.hostsEntries).toContain("192.168.1.10 fleet.aios.lan");
    expect(o.hostsEntries).toContain("192.168.1.20 alpha.aios.lan");
    expect(o.hostsEntries).toContain("192.168.1.20 vscode-bridge.aios.lan");
    expect(new Set(o.hostsEntries).size).toBe(o.hostsEntries!.length);
    expect(o.publishedPorts).toContainEqual({ service: "dns", port: 53, protocol: "udp" });
    expect(o.publishedPorts).toContainEqual({ service: "traefik", port: 443, protocol: "tcp" });
    expect(o.publishedPorts.map((p) => `${p.port}/${p.protocol}`).sort()).toEqual(hostPortKeys(resources).sort());
  });

  it("Grafana is provisioned with the Prometheus datasource and its admin password as a file", () => {
    const ds = parse(uploadText(resources, "grafana", "/etc/grafana/provisioning/datasources/aios.yml")) as { datasources: { url: string }[] };
    expect(ds.datasources[0]!.url).toBe("http://prometheus:9090");
    const env = unwrap(containers(resources).find((c) => c.name === "grafana")!.inputs.envs) as string[];
    expect(env).toContain("GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana-admin-password");
  });
});

describe("desktop stack with the organelle host, under Vault", () => {
  const HOSTED = ["task-dispatcher", "vscode-bridge"];
  let hosted: Registered[];
  beforeAll(async () => {
    ({ resources: hosted } = await loadStack("desktop", {
      "aios:organelles": JSON.stringify(HOSTED.map((role) => ({ role }))),
      // the laptop runs these roles; here the desktop does
      "aios:remoteDevices": "[]",
    }));
  });

  it("each hosted role gets its own bus user and password from Vault, into a file of its own; the hub lists each role's user", () => {
    const root = TEST_SECRETS["aios:busToken"];
    const host = containers(hosted).find((c) => c.name === "organelles")!;
    const env = envMap(unwrap(host.inputs.envs) as string[]);
    expect(env.AIOS_NATS_USER).toBeUndefined();
    const roles = appHostedRoles(env)!;
    expect(roles.map((r) => r.role).sort()).toEqual(HOSTED);
    const login = uploadText(hosted, "organelles", "/opt/aios/vault-login.mjs");
    for (const r of roles) {
      expect(r.env.AIOS_NATS_USER, r.role).toBe(`${r.role}-desktop`);
      expect(r.env.AIOS_NATS_TOKEN_FILE, r.role).toBe(`/run/aios/nats-token-${r.role}`);
      expect(login).toContain(`writeFileSync("/run/aios/nats-token-${r.role}", member.data.data["bus-${r.role}"]`);
    }
    // the init step stores each hosted role's own password in the host's entry, by field
    const init = hosted.find((r) => r.name === "vault-init")!;
    const script = unwrap(init.inputs.create) as string;
    const secretsEnv = unwrap(init.inputs.environment) as Record<string, string>;
    const names = /for name in ([^;]+); do/.exec(script)![1]!.split(" ").map((n) => n.replace(/'/g, ""));
    const i = names.indexOf("organelles");
    expect(i).toBeGreaterThanOrEqual(0);
    HOSTED.forEach((role, j) => {
      expect(script).toContain(`'organelles:${i}_${j}:bus-${role}'`);
      expect(secretsEnv[`MEMBER_BUS_${i}_${j}`], role).toBe(busPassword(root, `${role}-desktop`));
    });
    const conf = uploadText(hosted, "nats", `/etc/nats/${NATS_SECRETS_FILE}`);
    for (const role of HOSTED) expect(conf, role).toContain(`user: "${role}-desktop"`);
    checkContainerBasics(hosted);
  });

  it("the stack's own app variables are the ones a cell's or organelle's env may not set (STACK_ENV), so none of its wiring can be replaced", () => {
    let checked = 0;
    for (const c of [...containers(resources), ...containers(hosted)]) {
      const env = envMap(unwrap(c.inputs.envs) as string[]);
      if (!env.AIOS_ROLE && !env.AIOS_ROLES) continue; // not an app container
      // a hosted role's own variables are scoped (AIOS_<ROLE>__PORT sets its AIOS_PORT)
      for (const k of Object.keys(env)) expect(STACK_ENV, `${c.name} ${k}`).toContain(k.replace(/^AIOS_[A-Z_]+?__/, "AIOS_"));
      checked++;
    }
    expect(checked).toBe(4 + 3);
  });

  it("each hosted role signs with a certificate of its own, scoped to it (AIOS_<ROLE>__BUS_CERT); the fleet's key is shared", () => {
    const host = containers(hosted).find((c) => c.name === "organelles")!;
    const env = envMap(unwrap(host.inputs.envs) as string[]);
    expect(env.AIOS_BUS_CERT).toBeUndefined();
    expect(Object.keys(env).filter((k) => k.endsWith("BUS_CERT")).sort()).toEqual(["AIOS_TASK_DISPATCHER__BUS_CERT", "AIOS_VSCODE_BRIDGE__BUS_CERT"]);
    expect(checkSigning(hosted, TEST_SECRETS["aios:busToken"]).sort()).toEqual(["discovery-desktop", "father", "nous", ...HOSTED.map((r) => `${r}-desktop`)].sort());
  });
});

describe("desktop stack: the hub's user for the laptop's leaf", () => {
  const secretsFile = (rs: Registered[]) => uploadText(rs, "nats", `/etc/nats/${NATS_SECRETS_FILE}`);
  /** The permissions of the hub's user `leaf-laptop`. */
  const leafEntry = (conf: string) => {
    const at = conf.slice(conf.indexOf('user: "leaf-laptop"'));
    return at.slice(0, at.indexOf("\n    }"));
  };
  let dropped: string;
  beforeAll(async () => {
    const remote = JSON.parse(loadStackConfig("desktop")["aios:remoteDevices"]!) as Record<string, unknown>[];
    const { resources: rs } = await loadStack("desktop", { "aios:remoteDevices": JSON.stringify(remote.map(({ phoneCell: _, ...d }) => d)) });
    dropped = secretsFile(rs);
  });

  it("carries what the laptop runs and its phone's rights", () => {
    const laptop = leafEntry(secretsFile(resources));
    for (const s of ["aios.msg.alpha.>", "$JS.hub.API.$KV.aios_presence.task-dispatcher-laptop", "_INBOX.task-dispatcher-laptop.>", "aios.msg.beta.>", "_INBOX.beta.>"]) {
      expect(laptop).toContain(`"${s}"`);
    }
  });

  it("with the phone dropped from remoteDevices, carries none of its rights, though the hub's own phone keeps its user", () => {
    expect(leafEntry(dropped)).toContain('"aios.msg.alpha.>"');
    expect(leafEntry(dropped)).not.toContain("beta");
    expect(dropped).toContain('user: "beta"'); // aios:phone: the phone this stack configures dials the hub itself
  });
});
