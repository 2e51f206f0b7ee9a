// Pure: the droplet's cloud-config user data. Docker and its compose plugin come from the
// distribution's own packages (no curl | sh), so the image decides the package names.
import { stringify } from "yaml";

/** DigitalOcean image slug -> the distribution packages that give Docker and `docker compose`. */
export const DOCKER_PACKAGES: Readonly<Record<string, readonly string[]>> = {
  "ubuntu-24-04-x64": ["docker.io", "docker-compose-v2"],
  "debian-13-x64": ["docker.io", "docker-compose"],
};

export const SWAP_FILE = "/swapfile";

export interface CloudInitInput {
  /** DigitalOcean image slug; one of DOCKER_PACKAGES' keys. */
  image: string;
  /** The non-root user Pulumi and the Docker provider log in as. */
  deployUser: string;
  authorizedKeys: readonly string[];
  /** Swap file size in MiB; 0 for none. */
  swapMb: number;
  /**
   * The SSH host key the droplet must use, so clients can pin it (the reserved IP outlives a
   * replaced droplet, and a fresh random host key would then look like an attack).
   */
  hostKey: { privateOpenssh: string; publicOpenssh: string };
}

// First match wins in sshd_config.d, so this file sorts before the image's own (50-cloud-init.conf).
const SSHD_HARDENING = [
  "# Written by cloud-init for AIOS fleet: keys only, no root.",
  "PasswordAuthentication no",
  "KbdInteractiveAuthentication no",
  "PermitRootLogin no",
  "",
].join("\n");

const AUTO_UPGRADES = [
  'APT::Periodic::Update-Package-Lists "1";',
  'APT::Periodic::Unattended-Upgrade "1";',
  "",
].join("\n");

export function renderCloudInit(input: CloudInitInput): string {
  const dockerPackages = DOCKER_PACKAGES[input.image];
  if (!dockerPackages) {
    throw new Error(
      `image: "${input.image}" is not supported; use one of ${Object.keys(DOCKER_PACKAGES).join(", ")}`,
    );
  }
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(input.deployUser)) {
    throw new Error(`deployUser: "${input.deployUser}" is not a valid Linux user name`);
  }
  if (input.authorizedKeys.length === 0) throw new Error("authorizedKeys: at least one SSH public key is required");
  if (!Number.isInteger(input.swapMb) || input.swapMb < 0) throw new Error("swapMb: must be a whole number >= 0");

  const config: Record<string, unknown> = {
    users: [
      {
        name: input.deployUser,
        shell: "/bin/bash",
        lock_passwd: true,
        // Root login is off, so this is the administrator's way in; the docker group is
        // root-equivalent anyway.
        sudo: "ALL=(ALL) NOPASSWD:ALL",
        ssh_authorized_keys: [...input.authorizedKeys],
      },
    ],
    disable_root: true,
    ssh_pwauth: false,
    ssh_deletekeys: true,
    ssh_keys: {
      ed25519_private: input.hostKey.privateOpenssh,
      ed25519_public: input.hostKey.publicOpenssh,
    },
    package_update: true,
    package_upgrade: true,
    packages: [...dockerPackages, "unattended-upgrades"],
    write_files: [
      { path: "/etc/ssh/sshd_config.d/00-aios-hardening.conf", permissions: "0644", content: SSHD_HARDENING },
      { path: "/etc/apt/apt.conf.d/20auto-upgrades", permissions: "0644", content: AUTO_UPGRADES },
    ],
    // runcmd runs after the packages module, so the docker group exists by then.
    runcmd: [
      ["usermod", "-aG", "docker", input.deployUser],
      ["systemctl", "enable", "--now", "docker.service"],
      ["systemctl", "enable", "--now", "unattended-upgrades.service"],
      ["systemctl", "try-reload-or-restart", "ssh.service"],
    ],
  };
  if (input.swapMb > 0) {
    config.swap = { filename: SWAP_FILE, size: input.swapMb * 1024 * 1024, maxsize: input.swapMb * 1024 * 1024 };
  }
  return `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
}

/** Memory of a size slug such as s-1vcpu-2gb or s-1vcpu-512mb-10gb, in MiB; undefined when unknown. */
export function slugMemoryMb(size: string): number | undefined {
  const match = /^[a-z]+-\d+vcpu-(\d+)(mb|gb)\b/.exec(size);
  if (!match) return undefined;
  return Number(match[1]) * (match[2] === "gb" ? 1024 : 1);
}

/** Small droplets (2 GiB or less) get a swap file as large as their memory, capped at 2 GiB. */
export function defaultSwapMb(size: string): number {
  const memory = slugMemoryMb(size);
  if (memory === undefined || memory > 2048) return 0;
  return Math.min(memory, 2048);
}
