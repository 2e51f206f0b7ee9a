import { describe, expect, it } from "vitest";
import { StackConfigError } from "../../infra/config.ts";
import { parseVpsConfig } from "../../infra/vps-config.ts";
import { loadStackConfig } from "../infra/stack-config.ts";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@laptop";
const DO_TOKEN = "dop_v1_mock_token_for_tests_0123456789";

/** Pulumi.vps.yaml as committed, plus what a user sets with `pulumi config set [--secret]`. */
function vpsRaw(): Record<string, string> {
  const raw = loadStackConfig("vps");
  const droplet = JSON.parse(raw["aios:droplet"]!) as Record<string, unknown>;
  return {
    ...raw,
    "aios:droplet": JSON.stringify({ ...droplet, sshPublicKey: KEY }),
    "digitalocean:token": DO_TOKEN,
    "digitalocean:spacesAccessId": "DO00SPACESACCESS",
    "digitalocean:spacesSecretKey": "spaces-secret-for-tests",
  };
}

function failure(raw: Record<string, string>): StackConfigError {
  try {
    parseVpsConfig(raw);
  } catch (err) {
    if (err instanceof StackConfigError) return err;
    throw err;
  }
  throw new Error("expected a StackConfigError");
}

function without(raw: Record<string, string>, key: string): Record<string, string> {
  const { [key]: _gone, ...rest } = raw;
  return rest;
}

describe("vps stack config", () => {
  it("parses Pulumi.vps.yaml with defaults for the droplet and a swap file on the 2 GiB default size", () => {
    const cfg = parseVpsConfig(vpsRaw());
    expect(cfg.droplet).toMatchObject({ size: "s-1vcpu-2gb", region: "fra1", image: "ubuntu-24-04-x64", deployUser: "deploy", backups: "off" });
    expect(cfg.swapMb).toBe(2048);
    expect(cfg.zone).toBe("example.com");
    expect(cfg.digitalocean.token).toBe(DO_TOKEN);
  });

  it.each([
    ["digitalocean:token", (raw: Record<string, string>) => without(raw, "digitalocean:token")],
    ["aios:domain", (raw: Record<string, string>) => without(raw, "aios:domain")],
    [
      "aios:droplet.sshPublicKey",
      (raw: Record<string, string>) => ({ ...raw, "aios:droplet": JSON.stringify({ ...JSON.parse(raw["aios:droplet"]!), sshPublicKey: undefined }) }),
    ],
    ["digitalocean:spacesSecretKey", (raw: Record<string, string>) => without(raw, "digitalocean:spacesSecretKey")],
    ["aios:letsEncrypt", (raw: Record<string, string>) => without(raw, "aios:letsEncrypt")],
  ])("a missing %s fails with a message naming the key", (key, change) => {
    const err = failure(change(vpsRaw()));
    expect(err.keys).toContain(key);
    expect(err.message).toContain(`${key}:`);
    expect(err.message).not.toContain(DO_TOKEN);
  });

  it("reports every problem at once, and never a secret's value", () => {
    const raw = { ...without(vpsRaw(), "digitalocean:token"), "aios:domain": "aios.lan", "aios:apiToken": "short" };
    const err = failure(raw);
    expect(err.keys).toEqual(expect.arrayContaining(["aios:domain", "aios:apiToken", "digitalocean:token"]));
    expect(err.message).not.toContain('"short"');
  });

  it("refuses a domain outside the DNS zone, a leaf bus, and Spaces backups without a bucket", () => {
    const raw = vpsRaw();
    expect(failure({ ...raw, "aios:domain": "aios.example.org" }).keys).toContain("aios:dns.zone");
    expect(failure({ ...raw, "aios:bus": JSON.stringify({ mode: "leaf", hub: { host: "192.0.2.1" } }) }).keys).toContain("aios:bus.mode");
    expect(failure({ ...raw, "aios:backup": JSON.stringify({ mode: "spaces", region: "fra1" }) }).keys).toContain("aios:backup.bucket");
  });
});
