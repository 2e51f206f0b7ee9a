import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { defaultSwapMb, renderCloudInit, slugMemoryMb, type CloudInitInput } from "../../infra/render/cloud-init.ts";
import { hasTool } from "../helpers/tools.ts";

const input: CloudInitInput = {
  image: "ubuntu-24-04-x64",
  deployUser: "deploy",
  authorizedKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@laptop"],
  swapMb: 1024,
  hostKey: {
    privateOpenssh: "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----\n",
    publicOpenssh: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyForTests",
  },
};

const dir = mkdtempSync(join(tmpdir(), "aios-cloud-init-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs Debian's `cloud-init schema` on the text; returns its exit status and output. */
function schemaCheck(text: string, name: string): { status: number; output: string } {
  const file = join(dir, name);
  writeFileSync(file, text);
  try {
    const output = execFileSync("cloud-init", ["schema", "--config-file", file], { encoding: "utf8", stdio: "pipe" });
    return { status: 0, output };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { status: e.status, output: `${e.stdout}${e.stderr}` };
  }
}

describe("cloud-init user data", () => {
  it("creates a key-only deploy user who joins the docker group after the packages are in", () => {
    const doc = parse(renderCloudInit(input));
    expect(doc.users).toEqual([
      expect.objectContaining({ name: "deploy", lock_passwd: true, ssh_authorized_keys: input.authorizedKeys }),
    ]);
    expect(doc.runcmd).toContainEqual(["usermod", "-aG", "docker", "deploy"]);
  });

  it("installs Docker and the compose plugin from the distribution, plus unattended upgrades", () => {
    expect(parse(renderCloudInit(input)).packages).toEqual(["docker.io", "docker-compose-v2", "unattended-upgrades"]);
    expect(parse(renderCloudInit({ ...input, image: "debian-13-x64" })).packages).toEqual([
      "docker.io",
      "docker-compose",
      "unattended-upgrades",
    ]);
    const upgrades = parse(renderCloudInit(input)).write_files.find(
      (f: { path: string }) => f.path === "/etc/apt/apt.conf.d/20auto-upgrades",
    );
    expect(upgrades.content).toContain('APT::Periodic::Unattended-Upgrade "1";');
  });

  it("turns SSH password and root login off, and pins the given host key", () => {
    const doc = parse(renderCloudInit(input));
    expect(doc).toMatchObject({ ssh_pwauth: false, disable_root: true, ssh_deletekeys: true });
    expect(doc.ssh_keys).toEqual({
      ed25519_private: input.hostKey.privateOpenssh,
      ed25519_public: input.hostKey.publicOpenssh,
    });
    const sshd = doc.write_files.find((f: { path: string }) => f.path.startsWith("/etc/ssh/sshd_config.d/"));
    expect(sshd.path).toBe("/etc/ssh/sshd_config.d/00-aios-hardening.conf");
    expect(sshd.content).toMatch(/^PasswordAuthentication no$/m);
    expect(sshd.content).toMatch(/^PermitRootLogin no$/m);
  });

  it("adds a swap file only when asked, and asks for one on droplets of 2 GiB or less", () => {
    expect(parse(renderCloudInit(input)).swap).toEqual({ filename: "/swapfile", size: 1024 ** 3, maxsize: 1024 ** 3 });
    expect(parse(renderCloudInit({ ...input, swapMb: 0 })).swap).toBeUndefined();
    expect(slugMemoryMb("s-1vcpu-512mb-10gb")).toBe(512);
    expect(defaultSwapMb("s-1vcpu-512mb-10gb")).toBe(512);
    expect(defaultSwapMb("s-1vcpu-2gb")).toBe(2048);
    expect(defaultSwapMb("s-2vcpu-4gb")).toBe(0);
    expect(defaultSwapMb("c-2")).toBe(0);
  });

  it("rejects an image it has no Docker packages for, naming the field", () => {
    expect(() => renderCloudInit({ ...input, image: "centos-stream-9-x64" })).toThrow(/^image: "centos-stream-9-x64"/);
    expect(() => renderCloudInit({ ...input, deployUser: "Root User" })).toThrow(/^deployUser:/);
    expect(() => renderCloudInit({ ...input, authorizedKeys: [] })).toThrow(/^authorizedKeys:/);
  });

  describe.runIf(hasTool("cloud-init"))("checked by Debian's cloud-init schema", () => {
    it.each(["ubuntu-24-04-x64", "debian-13-x64"])("the rendered user data for %s is valid", (image) => {
      for (const swapMb of [0, 2048]) {
        const result = schemaCheck(renderCloudInit({ ...input, image, swapMb }), `${image}-${swapMb}.yaml`);
        expect(result.output).toContain("Valid cloud-config");
        expect(result.status).toBe(0);
      }
    });

    it("and the check does catch a broken document", () => {
      const broken = renderCloudInit(input).replace("ssh_pwauth: false", "ssh_pwauth: [not, a, boolean]");
      expect(schemaCheck(broken, "broken.yaml").status).not.toBe(0);
    });
  });
});
