import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { Dns, recordName } from "../../infra/components/dns.ts";
import { CLOUD_INIT_WAIT, Droplet, pinnedSshOpts } from "../../infra/components/droplet.ts";
import { Firewall, inboundRules } from "../../infra/components/firewall.ts";
import { DROPLET_ID, RESERVED_IP, installMocks, isSecretValue, registered, reveal, settled, valueOf } from "./mocks.ts";

beforeAll(() => installMocks());

const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@laptop";

describe("firewall", () => {
  it("opens SSH to the configured CIDRs, and 80, 443 and the leaf port to anyone, nothing else", async () => {
    new Firewall("fw", { dropletId: 7, sshAllowedCidrs: ["203.0.113.7/32"], leafPort: 7422 });
    const [fw] = await settled("digitalocean:index/firewall:Firewall", 1);
    const rules = (fw!.inputs.inboundRules as { protocol: string; portRange: string; sourceAddresses: string[] }[]).map(
      (r) => `${r.protocol}/${r.portRange} from ${r.sourceAddresses.join(",")}`,
    );
    expect(rules.sort()).toEqual([
      "tcp/22 from 203.0.113.7/32",
      "tcp/443 from 0.0.0.0/0,::/0",
      "tcp/7422 from 0.0.0.0/0,::/0",
      "tcp/80 from 0.0.0.0/0,::/0",
    ]);
    expect(fw!.inputs.dropletIds).toEqual([7]);
    expect(inboundRules(["10.0.0.0/8"], 7422).find((r) => r.portRange === "22")?.sourceAddresses).toEqual(["10.0.0.0/8"]);
  });
});

describe("dns", () => {
  it("adds one A record per host, named relative to the zone, at the given address", async () => {
    const dns = new Dns("dns", { zone: "example.com", hosts: ["father.aios.example.com", "aios.example.com", "father.aios.example.com"], address: RESERVED_IP, ttl: 300 });
    expect((await valueOf(dns.fqdns)).sort()).toEqual(["aios.example.com", "father.aios.example.com"]);
    const records = registered.filter((r) => r.type === "digitalocean:index/dnsRecord:DnsRecord");
    expect(records.map((r) => [r.inputs.name, r.inputs.type, r.inputs.value, r.inputs.domain])).toEqual([
      ["aios", "A", RESERVED_IP, "example.com"],
      ["father.aios", "A", RESERVED_IP, "example.com"],
    ]);
    expect(recordName("example.com", "example.com")).toBe("@");
    expect(() => recordName("father.example.org", "example.com")).toThrow(/^dns\.zone:/);
  });
});

describe("droplet", () => {
  const args = { size: "s-1vcpu-2gb", region: "fra1", image: "ubuntu-24-04-x64", deployUser: "deploy", sshPublicKey: key, swapMb: 2048, backups: "weekly" as const };
  let droplet: Droplet;
  beforeAll(() => {
    droplet = new Droplet("aios-vps", args);
  });

  it("boots the configured size, region and image with monitoring, backups and the deploy key", async () => {
    const [d] = await settled("digitalocean:index/droplet:Droplet", 1);
    expect(d!.inputs).toMatchObject({ size: "s-1vcpu-2gb", region: "fra1", image: "ubuntu-24-04-x64", monitoring: true, backups: true, backupPolicy: { plan: "weekly", weekday: "SUN" }, sshKeys: ["aa:bb:cc"] });
    const [sshKey] = await settled("digitalocean:index/sshKey:SshKey", 1);
    expect(sshKey!.inputs.publicKey).toBe(key);
    expect(String(reveal(d!.inputs.userData))).toMatch(/^#cloud-config\n/);
    expect(await pulumi.isSecret(droplet.address)).toBe(false);
  });

  it("keeps the user data secret: it holds the droplet's SSH host private key", async () => {
    const [d] = await settled("digitalocean:index/droplet:Droplet", 1);
    expect(isSecretValue(d!.inputs.userData)).toBe(true);
    expect(String(reveal(d!.inputs.userData))).toContain("BEGIN OPENSSH PRIVATE KEY");
  });

  it("moves the reserved IP onto the droplet and waits for cloud-init there, retrying the first dials", async () => {
    expect(await valueOf(droplet.address)).toBe(RESERVED_IP);
    const [assignment] = await settled("digitalocean:index/reservedIpAssignment:ReservedIpAssignment", 1);
    expect(assignment!.inputs).toMatchObject({ dropletId: Number(DROPLET_ID), ipAddress: RESERVED_IP });
    const [wait] = await settled("command:remote:Command", 1);
    expect(wait!.inputs.create).toBe(CLOUD_INIT_WAIT);
    expect(reveal(wait!.inputs.connection)).toMatchObject({ host: RESERVED_IP, user: "deploy", dialErrorLimit: 60, hostKey: "ssh-ed25519 AAAAmockhostkey\n" });
  });

  it("gives a Docker provider on ssh://deploy@<reserved ip> that pins the host key", async () => {
    const [provider] = await settled("pulumi:providers:docker", 1);
    expect(provider!.inputs.host).toBe(`ssh://deploy@${RESERVED_IP}`);
    const opts = JSON.parse(String(provider!.inputs.sshOpts)) as string[];
    expect(opts).toEqual(pinnedSshOpts(RESERVED_IP, "ssh-ed25519 AAAAmockhostkey"));
    expect(opts).toContain(`KnownHostsCommand=/bin/echo ${RESERVED_IP} ssh-ed25519 AAAAmockhostkey`);
  });
});
