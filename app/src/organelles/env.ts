// Parsing of the role-specific variables (AppConfig.env) that organelles and the cell's task
// worker read. Each error names the variable, as config.ts does for the common ones.
import { readFileSync } from "node:fs";
import { ConfigError } from "../config.ts";
import { maskUrl } from "../lib/mask.ts";
import { isUrl } from "../lib/url.ts";

type Env = Record<string, string | undefined>;

export function envInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(name, `expected an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

export function envUrl(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  if (!isUrl(raw, ["http", "https"])) {
    throw new ConfigError(name, `expected an http(s) URL, got "${maskUrl(raw)}"`);
  }
  return raw.replace(/\/$/, "");
}

export function envSwitch(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === "on" || raw === "true" || raw === "1") return true;
  if (raw === "off" || raw === "false" || raw === "0") return false;
  throw new ConfigError(name, `expected on or off, got "${raw}"`);
}

/** An optional secret from NAME or NAME_FILE; its value never appears in an error. */
export function envSecret(env: Env, name: string): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct && file) throw new ConfigError(name, `set either ${name} or ${name}_FILE, not both`);
  if (!file) return direct || undefined;
  try {
    return readFileSync(file, "utf8").trim() || undefined;
  } catch (err) {
    throw new ConfigError(`${name}_FILE`, `cannot read "${file}" (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
}
