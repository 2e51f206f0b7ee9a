// The whole vps stack under Pulumi's mocks: Pulumi.vps.yaml as committed, plus the secrets a user sets.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { TRAEFIK_FILES } from "../../infra/render/traefik.ts";
import { parseVpsConfig } from "../../infra/vps-config.ts";
import { buildVpsStack, endpointHosts, type Vps } from "../../infra/vps.ts";
import { loadStackConfig, TEST_SECRETS } from "../infra/stack-config.ts";
import { Signing } from "../../app/src/lib/signing.ts";
import { busFleetKey, busPassword } from "../../infra/identities.ts";
import { signerOf } from "../helpers/signing.ts";
import { envMap } from "../infra/device-checks.ts";
import { RESERVED_IP, installMocks, isSecretValue, plainStrings, registered, reveal, settled, valueOf, type Registered } from "./mocks.ts";

const SECRETS = {
  "digitalocean:token": "dop_v1_mock_token_for_tests_0123456789",
  "digitalocean:spacesAccessId": "DO00SPACESACCESSID",
  "digitalocean:spacesSecretKey": "spaces-provider-secret-key",
};
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@laptop";

let vps: Vps;
const optsOf = new Map<string, pulumi.CustomResourceOptions>();

beforeAll(async () => {
  installMocks();
  const raw = loadStackConfig("vps");
  const droplet = JSON.parse(raw["aios:droplet"]!) as Record<string, unknown>;
  const cfg = parseVpsConfig({ ...raw, ...SECRETS, "aios:droplet": JSON.stringify({ ...droplet, sshPublicKey: KEY }) });
  // Record every resource's options (dependsOn is not visible to the mock monitor).
  vps = buildVpsStack(cfg, { transformations: [({ type, name, opts }) => (optsOf.set(`${type}::${name}`, opts), undefined)] });
  await valueOf(vps.outputs.dashboardPassword);
  await settled("docker:index/container:Container", 10);
  await settled("digitalocean:index/dnsRecord:DnsRecord", Object.keys(vps.outputs.endpoints).length);
});

const ofType = (prefix: string): Registered[] => registered.filter((r) => r.type.startsWith(prefix));
const container = (name: string): Registered => {
  const c = registered.find((r) => r.type === "docker:index/container:Container" && r.inputs.name === name);
  if (!c) throw new Error(`no container ${name}`);
  return c;
};
const upload = (c: Registered, file: string): string => {
  const u = (reveal(c.inputs.uploads) as { file: string; content: unknown }[]).find((x) => x.file === file);
  if (!u) throw new Error(`no upload ${file}`);
  return String(reveal(u.content));
};

describe("vps stack", () => {
  it("runs every Docker resource on the droplet's provider, which waits for cloud-init", () => {
    const docker = registered.filter((r) => r.type.startsWith("docker:"));
    expect(docker.length).toBeGreaterThan(10);
    for (const r of docker) expect(r.provider, `${r.type} ${r.name}`).toMatch(/pulumi:providers:docker::vps-docker::/);
    expect(ofType("pulumi:providers:docker").map((p) => p.name)).toEqual(["vps-docker"]);
    const providerOpts = optsOf.get("pulumi:providers:docker::vps-docker");
    expect(providerOpts?.dependsOn).toEqual([vps.droplet.ready]);
    expect(reveal(registered.find((r) => r.type === "command:remote:Command")!.inputs.connection)).toMatchObject({ host: RESERVED_IP, user: "deploy" });
  });

  it("opens exactly SSH from the configured CIDRs, 80, 443 and the TLS leaf port", () => {
    const [fw] = ofType("digitalocean:index/firewall:Firewall");
    const rules = (fw!.inputs.inboundRules as { portRange: string; sourceAddresses: string[] }[]).map((r) => `${r.portRange}:${r.sourceAddresses.join(",")}`);
    expect(rules.sort()).toEqual(["22:203.0.113.7/32", "443:0.0.0.0/0,::/0", "7422:0.0.0.0/0,::/0", "80:0.0.0.0/0,::/0"]);
  });

  it("has a DNS record at the reserved IP for every host in `endpoints`, and no other", () => {
    const records = ofType("digitalocean:index/dnsRecord:DnsRecord");
    const names = records.map((r) => `${String(r.inputs.name)}.${String(r.inputs.domain)}`).sort();
    expect(names).toEqual(endpointHosts(vps.outputs.endpoints));
    expect(new Set(records.map((r) => r.inputs.value))).toEqual(new Set([RESERVED_IP]));
    expect(vps.outputs.endpoints).toMatchObject({ father: "https://father.aios.example.com", grafana: "https://grafana.aios.example.com", nats: "tls://nats.aios.example.com:7422" });
  });

  it("exports the address, the hub's leaf URL, the bus URL on 443 and a secret Termux bootstrap that opens TLS first", async () => {
    expect(await valueOf(vps.outputs.address)).toBe(RESERVED_IP);
    expect(vps.outputs.hubUrl).toBe("tls://nats.aios.example.com:7422");
    expect(await valueOf(vps.outputs.busUrl)).toBe("tls://nats.aios.example.com:443");
    expect(await pulumi.isSecret(vps.outputs.termuxBootstrap!)).toBe(true);
    const cmd = await valueOf(vps.outputs.termuxBootstrap!);
    expect(cmd).toMatch(/--nats-urls 'tls:\/\/[^@']+@nats\.aios\.example\.com:443' --nats-tls-first /);
    expect(cmd).not.toContain(":4222");
  });

  it("cells advertise their Traefik routes, not host ports the firewall keeps closed", () => {
    for (const name of ["father", "nous", "discovery"]) {
      const env = reveal(container(`aios-${name}`).inputs.envs) as string[];
      expect(env.map((e) => String(reveal(e)))).toContain(`AIOS_PUBLIC_URL=https://${name}.aios.example.com`);
    }
  });

  it("every member signs: the fleet's key and a certificate the app accepts for it, as plain env values", () => {
    const root = TEST_SECRETS["aios:busToken"];
    for (const [name, member, role] of [["father", "father", "cell"], ["nous", "nous", "cell"], ["discovery", "discovery-vps", "discovery"]] as const) {
      const envs = container(`aios-${name}`).inputs.envs;
      expect(isSecretValue(envs), name).toBe(false);
      const env = envMap(plainStrings(envs));
      expect(env.AIOS_NATS_USER).toBe(member);
      expect(env.AIOS_BUS_FLEET_KEY, name).toBe(busFleetKey(root));
      const signing = new Signing({ member, role, password: busPassword(root, member), cert: env.AIOS_BUS_CERT!, fleetKey: env.AIOS_BUS_FLEET_KEY! });
      expect(signerOf(signing)).toEqual({ member, role });
    }
  });

  it("forwards nats.<domain> on 443 (TLS from Let's Encrypt) to the NATS client port, which offers TLS for the proxy", () => {
    const tcp = parse(upload(container("aios-traefik"), TRAEFIK_FILES.dynamic)).tcp;
    expect(tcp.routers.nats).toEqual({ rule: "HostSNI(`nats.aios.example.com`)", entryPoints: ["websecure"], service: "nats", tls: { certResolver: "letsencrypt" }, middlewares: ["public-in-flight"] });
    expect(tcp.middlewares["public-in-flight"]).toEqual({ inFlightConn: { amount: 64 } });
    expect(tcp.services.nats).toEqual({ loadBalancer: { servers: [{ address: "nats:4222" }] } });
    // Traefik reaches the NATS container on the ingress network, by its alias.
    const nets = (name: string) => (reveal(container(name).inputs.networksAdvanced) as { name: string; aliases: string[] }[]);
    expect(nets("aios-nats")).toContainEqual({ name: "aios-ingress", aliases: ["nats"] });
    expect(nets("aios-traefik").map((n) => n.name)).toContain("aios-ingress");
    const conf = upload(container("aios-nats"), "/etc/nats/nats.conf");
    expect(conf).toMatch(/tls \{\n {2}cert_file: "\/etc\/nats\/tls\/cert.pem"\n {2}key_file: "\/etc\/nats\/tls\/key.pem"\n\}\nallow_non_tls: true/);
  });

  it("serves Let's Encrypt certificates from Traefik, kept on a volume", () => {
    const traefik = container("aios-traefik");
    const stat = parse(upload(traefik, TRAEFIK_FILES.static));
    expect(stat.certificatesResolvers.letsencrypt.acme).toMatchObject({ email: "you@example.com", storage: "/letsencrypt/acme.json", httpChallenge: { entryPoint: "web" } });
    expect(stat.certificatesResolvers.letsencrypt.acme.caServer).toBeUndefined();
    const routers = Object.values(parse(upload(traefik, TRAEFIK_FILES.dynamic)).http.routers) as { tls: unknown }[];
    expect(routers.length).toBeGreaterThan(3);
    for (const r of routers) expect(r.tls).toEqual({ certResolver: "letsencrypt" });
    // every public router is rate-limited by address first (aios:publicLimits defaults)
    const dynamic = parse(upload(traefik, TRAEFIK_FILES.dynamic)).http;
    expect(dynamic.middlewares["public-rate-limit"]).toEqual({ rateLimit: { average: 50, burst: 100, period: "1s" } });
    for (const r of Object.values(dynamic.routers) as { middlewares: string[] }[]) expect(r.middlewares.slice(0, 2)).toEqual(["public-rate-limit", "public-in-flight"]);
    expect(reveal(traefik.inputs.volumes)).toContainEqual(expect.objectContaining({ volumeName: "aios-letsencrypt", containerPath: "/letsencrypt" }));
  });

  it("makes the hub require TLS and a password on the leaf-node port", () => {
    const nats = container("aios-nats");
    const secrets = upload(nats, "/etc/nats/secrets.conf");
    expect(secrets).toMatch(/leafnodes \{\n {2}tls \{\n {4}cert_file: "\/etc\/nats\/tls\/cert.pem"/);
    // one leaf user per device of aios:bus.leafDevices, each with its own password and the rights of what it runs
    for (const d of ["desktop", "laptop"]) expect(secrets).toMatch(new RegExp(`user: "leaf-${d}"\n {6}password: "\\$2a\\$04\\$[^"]{53}"\n {6}allowed_connection_types: \\["LEAFNODE"\\]`));
    const laptop = secrets.slice(secrets.indexOf('user: "leaf-laptop"'));
    expect(laptop.slice(0, laptop.indexOf("    }\n"))).toContain('"$JS.hub.API.$KV.aios_presence.beta"'); // its phone joins through it
    expect(upload(nats, "/etc/nats/tls/key.pem")).toBeTruthy();
  });

  it("backs up the Vault, NATS and Grafana volumes to a private Spaces bucket with a scoped key", () => {
    const [bucket] = ofType("digitalocean:index/spacesBucket:SpacesBucket");
    expect(bucket!.inputs).toMatchObject({ name: "aios-fleet-backups-example", region: "fra1", acl: "private" });
    expect(ofType("digitalocean:index/spacesKey:SpacesKey")[0]!.inputs.grants).toEqual([{ bucket: "aios-fleet-backups-example", permission: "readwrite" }]);
    const runner = container("aios-backup");
    expect((reveal(runner.inputs.mounts) as { source: string; target: string; readOnly: boolean }[]).map((m) => `${m.source}->${m.target}:${m.readOnly}`)).toEqual([
      "aios-vault-data->/data/vault:true",
      "aios-nats-data->/data/nats:true",
      "aios-grafana-data->/data/grafana:true",
    ]);
    expect(upload(runner, "/etc/crontabs/root")).toBe("17 3 * * * /backup/aios-backup.sh backup\n");
    // unhealthy when crond is gone or the last backup failed, like every other container's check
    expect(reveal(runner.inputs.healthcheck)).toMatchObject({
      tests: ["CMD", "sh", "-c", "pgrep -x crond >/dev/null && /backup/aios-backup.sh health"],
      interval: "30s",
    });
  });

  it("points the Vault unseal step at the droplet, after its host key is trusted", () => {
    const init = registered.find((r) => r.type === "command:local:Command" && r.name === "vault-init")!;
    expect(reveal((reveal(init.inputs.environment) as Record<string, unknown>).DOCKER_HOST)).toBe(`ssh://deploy@${RESERVED_IP}`);
    expect(optsOf.get("command:local:Command::vault-init")?.dependsOn).toContain(vps.droplet.knownHost);
  });

  it("keeps every secret out of plain text: no token or key in any resource input or container env", () => {
    const secrets = [...Object.values(SECRETS), ...Object.values(TEST_SECRETS), "mock-spaces-secret-key", "BEGIN OPENSSH PRIVATE KEY", "generated-dashboard-password-password"];
    for (const r of registered) {
      const plain = plainStrings(r.inputs).join("\n");
      for (const s of secrets) expect(plain.includes(s), `${s} in plain text in ${r.type} ${r.name}`).toBe(false);
    }
  });
});
