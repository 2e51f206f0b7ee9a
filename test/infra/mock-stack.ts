// Runs the real Pulumi program for one stack file under Pulumi's mocks and records every
// resource it registers (type, name, inputs as the engine would receive them: secrets arrive
// wrapped in Pulumi's secret envelope, so a test can tell a secret from plain text).
import * as pulumi from "@pulumi/pulumi";
// The mock monitor hands `newResource` only the inputs; the options the engine would get
// (deleteBeforeReplace, dependencies) are read off the request itself.
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks.js";
import { parseConfig } from "../../infra/config.ts";
import type { Device } from "../../infra/components/device.ts";
import { loadStackConfig, TEST_SECRETS } from "./stack-config.ts";

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  provider: string;
  /** Filled in when the registration is answered. */
  urn: string;
  deleteBeforeReplace: boolean;
  /** URNs of the resources it waits for (dependsOn, with components expanded to their children). */
  dependencies: string[];
  /** Steps of one clock: when the engine got the registration, and when it answered it. */
  startedAt: number;
  answeredAt: number;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getDeletebeforereplace(): boolean;
  getDependenciesList(): string[];
}
type Monitor = { registerResource(req: RegisterRequest, cb: (err: unknown, res?: { getUrn(): string }) => void): Promise<void> };
let current: Registered[] = [];
const register = (MockMonitor.prototype as Monitor).registerResource;
(MockMonitor.prototype as Monitor).registerResource = function (req, cb) {
  return register.call(this, req, (err, res) => {
    const r = current.findLast((x) => x.type === req.getType() && x.name === req.getName() && !x.urn);
    if (r && res) Object.assign(r, { urn: res.getUrn(), deleteBeforeReplace: req.getDeletebeforereplace(), dependencies: req.getDependenciesList() });
    cb(err, res);
  });
};

export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const FAKE_VAULT_INIT = {
  unsealKey: "unseal-key-9c8b7a6d5e4f",
  rootToken: "hvs.root-token-1a2b3c4d",
};

/** State a real provider would add to what it was given. */
function providerState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case "docker:index/image:Image":
      return { repoDigest: `sha256:${"a".repeat(64)}` };
    case "docker:index/remoteImage:RemoteImage":
      return { imageId: `sha256:${name}` };
    case "random:index/randomPassword:RandomPassword":
      return { result: `generated-${name}-secret`, bcryptHash: `$2a$10$hash-of-${name}` };
    case "tls:index/privateKey:PrivateKey":
      return { privateKeyPem: `-----BEGIN PRIVATE KEY----- ${name}` };
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      return { certPem: `-----BEGIN CERTIFICATE----- ${name}` };
    case "tls:index/certRequest:CertRequest":
      return { certRequestPem: `-----BEGIN CERTIFICATE REQUEST----- ${name}` };
    case "command:local:Command": {
      if (name === "release") return { stdout: `{"good":"${unwrap((inputs.environment as Record<string, unknown>).IMAGE)}","previous":""}\n`, stderr: "" };
      // The init script's output format: one AppRole per member named in its `create` script.
      const script = String(unwrap(inputs.create));
      const members = [...(script.match(/for name in ([^;]+);/)?.[1] ?? "").matchAll(/'([^']+)'/g)].map((m) => m[1]!);
      const approles = Object.fromEntries(members.map((m) => [m, { roleId: `role-${m}`, secretId: `secret-id-${m}` }]));
      return { stdout: JSON.stringify({ ...FAKE_VAULT_INIT, approles }), stderr: "" };
    }
    default:
      return {};
  }
}

export function isSecretEnvelope(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG_KEY] === "1b47061264138c4ac30d75fd1eb44270";
}

export function unwrap(v: unknown): unknown {
  if (isSecretEnvelope(v)) return unwrap(v.value);
  if (Array.isArray(v)) return v.map(unwrap);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
  return v;
}

export const resolve = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((r) => o.apply((v) => (r(v), v)));

export interface RunOptions {
  /** Custom resources (by name) whose creation takes a while, as a container waiting for healthy does. */
  slow?: string[];
}

export async function runStack(
  stack: string,
  changes: Record<string, string> = {},
  opts: RunOptions = {},
): Promise<{ resources: Registered[]; device: Device; secrets: string[] }> {
  const raw = { ...loadStackConfig(stack), ...changes };
  pulumi.runtime.setAllConfig(raw, Object.keys(TEST_SECRETS));
  const resources: Registered[] = [];
  current = resources;
  let clock = 0;
  await pulumi.runtime.setMocks(
    {
      async newResource(args) {
        const inputs = args.inputs as Record<string, unknown>;
        const r: Registered = {
          type: args.type,
          name: args.name,
          inputs,
          provider: args.provider ?? "",
          urn: "",
          deleteBeforeReplace: false,
          dependencies: [],
          startedAt: clock++,
          answeredAt: -1,
        };
        resources.push(r);
        if (args.custom && opts.slow?.includes(args.name)) await new Promise((done) => setTimeout(done, 100));
        r.answeredAt = clock++;
        return { id: `${args.name}-id`, state: { ...unwrap(inputs) as object, ...providerState(args.type, args.name, inputs) } };
      },
      call: (args) => args.inputs,
    },
    "aios-fleet",
    stack,
    false,
  );
  const { buildDeviceStack } = await import("../../infra/stack.ts");
  const device = buildDeviceStack(parseConfig(pulumi.runtime.allConfig()));
  // Every container registered (and so every resource it depends on), and every output resolved.
  await Promise.all(Object.values(device.containers).map((c) => resolve(c.id)));
  await Promise.all(Object.values(device.outputs).filter(pulumi.Output.isInstance).map((o) => resolve(o as pulumi.Output<unknown>)));
  const secrets = [...Object.values(TEST_SECRETS), FAKE_VAULT_INIT.unsealKey, FAKE_VAULT_INIT.rootToken];
  return { resources, device, secrets };
}
