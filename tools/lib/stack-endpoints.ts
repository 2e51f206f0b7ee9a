// The `endpoints` stack output: a flat object, name -> base URL, read with `pulumi stack output --json`.
// Each name's health path follows the service it names; everything else (cells, discovery,
// organelles) serves the app's /health.
import { z } from "zod";
import { explainFailure, runPulumi } from "./pulumi.ts";

export const HEALTH_PATHS: Record<string, string> = {
  grafana: "/api/health",
  prometheus: "/-/healthy",
  alertmanager: "/-/healthy",
  vault: "/v1/sys/health",
};

export function healthUrl(name: string, baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "") + (HEALTH_PATHS[name] ?? "/health");
}

const endpointsSchema = z.record(z.string(), z.url({ protocol: /^https?$/ }));

/** Reads and checks a stack's endpoints; throws an Error with one line saying what to do. */
export async function readEndpoints(stack: string): Promise<Record<string, string>> {
  const result = await runPulumi(["stack", "output", "--json", "-s", stack]);
  if (result.code !== 0) throw new Error(explainFailure(result, stack));
  let outputs: Record<string, unknown>;
  try {
    outputs = JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`\`pulumi stack output --json -s ${stack}\` did not print JSON`);
  }
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
  return parsed.data;
}
