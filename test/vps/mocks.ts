// Pulumi mocks for the VPS stack: records every resource the program registers, with the
// provider it was given, and answers with DigitalOcean-like outputs (addresses, fingerprints).
import * as pulumi from "@pulumi/pulumi";

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  provider: string | undefined;
}

export const DROPLET_ID = "424242";
export const RESERVED_IP = "198.51.100.7";
export const registered: Registered[] = [];
/** The app containers of Pulumi.vps.yaml, which the mocked Vault init issues AppRoles for. */
export const VAULT_MEMBERS = ["father", "nous", "discovery"];

export function installMocks(stack = "vps"): void {
  void pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
        const extra: Record<string, unknown> = {};
        if (args.type === "digitalocean:index/droplet:Droplet") Object.assign(extra, { ipv4Address: "203.0.113.10" });
        if (args.type === "digitalocean:index/reservedIp:ReservedIp") Object.assign(extra, { ipAddress: RESERVED_IP });
        if (args.type === "digitalocean:index/sshKey:SshKey") Object.assign(extra, { fingerprint: "aa:bb:cc" });
        if (args.type === "digitalocean:index/spacesKey:SpacesKey") Object.assign(extra, { accessKey: "DO00MOCKACCESS", secretKey: "mock-spaces-secret-key" });
        if (args.type === "digitalocean:index/dnsRecord:DnsRecord") {
          const name = String(args.inputs.name);
          Object.assign(extra, { fqdn: name === "@" ? args.inputs.domain : `${name}.${String(args.inputs.domain)}` });
        }
        if (args.type === "tls:index/privateKey:PrivateKey") {
          Object.assign(extra, { privateKeyOpenssh: "-----BEGIN OPENSSH PRIVATE KEY-----\nmock\n-----END OPENSSH PRIVATE KEY-----\n", publicKeyOpenssh: "ssh-ed25519 AAAAmockhostkey\n", privateKeyPem: "mock-pem", publicKeyPem: "mock-pub" });
        }
        if (args.type === "random:index/randomPassword:RandomPassword") Object.assign(extra, { result: `generated-${args.name}-password`, bcryptHash: "$2a$10$mockbcrypthash" });
        if (args.type === "command:local:Command" && args.name === "vault-init") {
          const approles = Object.fromEntries(VAULT_MEMBERS.map((m) => [m, { roleId: `role-${m}`, secretId: `secret-id-${m}` }]));
          Object.assign(extra, { stdout: JSON.stringify({ unsealKey: "mock-unseal-key", rootToken: "mock-root-token", approles }) });
        }
        const id = args.type === "digitalocean:index/droplet:Droplet" ? DROPLET_ID : `${args.name}-id`;
        return { id, state: { ...args.inputs, ...extra } };
      },
      call(args) {
        return args.inputs;
      },
    },
    "aios-fleet",
    stack,
    true,
  );
}

export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => resolve(v)));
}

/** Resolves once `count` resources of `type` have registered (bounded). */
export async function settled(type: string, count: number): Promise<Registered[]> {
  for (let i = 0; i < 200; i++) {
    const found = registered.filter((r) => r.type === type);
    if (found.length >= count) return found;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`only ${registered.filter((r) => r.type === type).length} of ${count} ${type} registered`);
}

/** How the Pulumi runtime hands a secret input to the mock monitor. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

export function isSecretValue(v: unknown): boolean {
  return typeof v === "object" && v !== null && SECRET_SIG in v;
}

/** The value inside a secret wrapper (or the value itself). */
export function reveal(v: unknown): unknown {
  return isSecretValue(v) ? (v as { value: unknown }).value : v;
}

/** Every string in a value that is not inside a secret: what would sit in state as plain text. */
export function plainStrings(v: unknown): string[] {
  if (isSecretValue(v)) return [];
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.flatMap(plainStrings);
  if (typeof v === "object" && v !== null) return Object.values(v).flatMap(plainStrings);
  return [];
}
