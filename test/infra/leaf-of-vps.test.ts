// The laptop stack pointed at the VPS hub (the README's `pulumi config set` lines) under Pulumi's
// mocks: its NATS leaf dials the hub's TLS leaf port trusting the hub's CA, uploaded next to the
// config. That nats-server accepts the rendered leaf config is in test/render/nats.test.ts; that
// it really links over TLS, in test/e2e/vps-hub-tls.test.ts.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { Device } from "../../infra/components/device.ts";
import { parseConfig, StackConfigError } from "../../infra/config.ts";
import { NATS_SECRETS_FILE } from "../../infra/render/nats.ts";
import { containers, loadStack, plainSecretPaths, uploadsOf, uploadText } from "./device-checks.ts";
import { resolve, type Registered } from "./mock-stack.ts";
import { loadStackConfig } from "./stack-config.ts";

const HUB_CA = "-----BEGIN CERTIFICATE-----\nMIIBfzCCASWgAwIBAgIUX1hub2NhY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
const HUB = { mode: "leaf", hub: { host: "nats.aios.example.com", tls: true, caCertificate: HUB_CA } };
const CHANGES = { "aios:bus": JSON.stringify(HUB) };

let resources: Registered[];
let device: Device;
let secrets: string[];

beforeAll(async () => {
  ({ resources, device, secrets } = await loadStack("laptop", CHANGES));
});

const keyOf = (bus: unknown): string[] => {
  try {
    parseConfig({ ...loadStackConfig("laptop"), "aios:bus": JSON.stringify(bus) });
  } catch (err) {
    expect(err).toBeInstanceOf(StackConfigError);
    return (err as StackConfigError).keys;
  }
  throw new Error("expected the config to be rejected");
};

describe("a leaf of the VPS hub (laptop stack, hub over TLS)", () => {
  it("dials tls:// to the hub's leaf port with the hub's CA file inside the remote", () => {
    const conf = uploadText(resources, "nats", `/etc/nats/${NATS_SECRETS_FILE}`);
    expect(conf).toMatch(/url: "tls:\/\/leaf-laptop:[^"]+@nats\.aios\.example\.com:7422"\n {6}tls \{ ca_file: "\/etc\/nats\/tls\/hub-ca\.pem" \}/);
  });

  it("uploads the CA certificate into the NATS container next to its config; no secret in plain text", () => {
    const nats = containers(resources).find((c) => c.name === "nats")!;
    expect(uploadsOf(nats).find((u) => u.file === "/etc/nats/tls/hub-ca.pem")?.content).toBe(HUB_CA);
    for (const r of resources) expect(plainSecretPaths(r.inputs, secrets), `${r.type} ${r.name}`).toEqual([]);
  });

  it("the phone's command joins the laptop only: the hub's client port is not public (the VPS stack's command reaches it on 443)", async () => {
    expect(await pulumi.isSecret(device.outputs.termuxBootstrap!)).toBe(true);
    const cmd = await resolve(device.outputs.termuxBootstrap!);
    expect(cmd).toContain("@192.168.1.20:4222'");
    expect(cmd).not.toContain("nats.aios.example.com");
    expect(cmd).not.toContain("--nats-tls-first");
  });

  it.each([
    [{ ...HUB, hub: { ...HUB.hub, caCertificate: "not a certificate" } }, "aios:bus.hub.caCertificate"],
    [{ ...HUB, hub: { ...HUB.hub, tls: false } }, "aios:bus.hub.caCertificate"],
    [{ ...HUB, hub: { ...HUB.hub, tls: "yes" } }, "aios:bus.hub.tls"],
  ])("rejects %j naming %s", (bus, key) => {
    expect(keyOf(bus)).toEqual([key]);
  });
});
