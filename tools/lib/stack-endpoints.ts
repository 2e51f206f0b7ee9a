// The `endpoints` stack output (a flat object, name -> base URL) read with `pulumi stack output
// --json`, and the live check of one endpoint. Each name's health path follows the service it
// names (as in infra/plan.ts); cells, discovery and organelles serve the app's /health. An
// endpoint that is not HTTP (the hub's tls:// leaf port) gets a TCP connection check.
import { z } from "zod";
import { probe, probeTcp } from "./probe.ts";
import { readStackOutputs } from "./pulumi.ts";

export const HEALTH_PATHS: Record<string, string> = {
  grafana: "/api/health",
  prometheus: "/-/healthy",
  alertmanager: "/-/healthy",
  vault: "/v1/sys/health",
};

/** Default ports for bus URLs without one. */
const TCP_PORTS: Record<string, number> = { "nats:": 4222, "tls:": 4222 };

export function healthUrl(name: string, baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "") + (HEALTH_PATHS[name] ?? "/health");
}

export interface StackEndpoints {
  endpoints: Record<string, string>;
  /** The stack's own CA (output caCertificate), trusted for its https endpoints. */
  ca: string | undefined;
}

const endpointsSchema = z.record(z.string(), z.url());

/** Reads and checks a stack's endpoints; throws an Error with one line saying what to do. */
export async function readEndpoints(stack: string): Promise<StackEndpoints> {
  const outputs = await readStackOutputs(stack);
  const endpoints = outputs.endpoints;
  if (endpoints === undefined) {
    throw new Error(`stack "${stack}" has no \`endpoints\` output yet: deploy it with \`pulumi up -s ${stack}\``);
  }
  if (endpoints === "[secret]") {
    throw new Error(`stack "${stack}": the \`endpoints\` output is marked secret; it must be a plain object of URLs`);
  }
  const parsed = endpointsSchema.safeParse(endpoints);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`stack "${stack}": output endpoints${issue.path.length ? `.${issue.path.join(".")}` : ""}: ${issue.message}`);
  }
  const ca = typeof outputs.caCertificate === "string" && outputs.caCertificate.includes("-----BEGIN CERTIFICATE-----");
  return { endpoints: parsed.data, ca: ca ? (outputs.caCertificate as string) : undefined };
}

export interface EndpointStatus {
  /** "login" is an answer from behind the dashboards' basic auth: the route is live. */
  state: "up" | "down" | "login";
  text: string;
  latencyMs: number | undefined;
}

export async function checkEndpoint(name: string, url: string, timeoutMs: number, ca: string | undefined): Promise<EndpointStatus> {
  const u = new URL(url);
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    const port = Number(u.port) || TCP_PORTS[u.protocol];
    if (!port) return { state: "down", text: `down (no port to check in ${u.protocol} URL)`, latencyMs: undefined };
    const r = await probeTcp(u.hostname, port, timeoutMs);
    return { state: r.up ? "up" : "down", text: r.up ? "up (tcp)" : `down (${r.reason})`, latencyMs: r.latencyMs };
  }
  const r = await probe(healthUrl(name, url), timeoutMs, { ca });
  if (r.up) return { state: "up", text: "up", latencyMs: r.latencyMs };
  if (r.status === 401 || r.status === 403) {
    return { state: "login", text: `login required (HTTP ${r.status})`, latencyMs: r.latencyMs };
  }
  return { state: "down", text: `down (${r.reason})`, latencyMs: r.latencyMs };
}
