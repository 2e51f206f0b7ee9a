// A stack's real config (Pulumi.<stack>.yaml) as the Pulumi runtime hands it to the program:
// every value a string, structured values as JSON. Tests add the secrets the CLI would decrypt.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";

export const TEST_SECRETS = {
  "aios:apiToken": "api-token-5f1c9a2e7b3d4c6a",
  "aios:busToken": "bus-token-0e8d7c6b5a4f3e2d",
};

export function loadStackConfig(stack: string, withSecrets = true): Record<string, string> {
  const file = resolve(import.meta.dirname, `../../Pulumi.${stack}.yaml`);
  const doc = parse(readFileSync(file, "utf8")) as { config: Record<string, unknown> };
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(doc.config)) {
    out[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return withSecrets ? { ...out, ...TEST_SECRETS } : out;
}
