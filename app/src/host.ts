// One process, several roles (AIOS_ROLES): the laptop's four organelles share one Node runtime
// instead of carrying one each. Every hosted role still gets an environment of its own, as if it
// ran alone: the shared variables, then its scoped ones, AIOS_<ROLE>__<NAME> (e.g.
// AIOS_TASK_DISPATCHER__PORT=3003 is that role's AIOS_PORT), with its port, data directory and
// cell id defaulting to what the role would use in a container of its own. Read by main.ts and
// by the health probe, so both agree on each role's port. Light on purpose: the probe loads it.
import { join } from "node:path";
import { ConfigError, DEFAULT_PORTS, ROLES, type Role } from "./config.ts";

type Env = Record<string, string | undefined>;

/** Variables that differ between roles by nature: shared, every role would get the same one. */
const PER_ROLE = ["AIOS_PORT", "AIOS_CELL_ID", "AIOS_PUBLIC_URL"];

export interface HostedRole {
  role: Role;
  /** The environment this role's loadConfig reads. */
  env: Env;
  /** Variable names of that environment -> where they came from (a scoped name, when scoped). */
  source: Record<string, string>;
}

/** AIOS_TASK_DISPATCHER__ for task-dispatcher. */
export const scopePrefix = (role: Role): string => `AIOS_${role.toUpperCase().replace(/-/g, "_")}__`;

/** The roles AIOS_ROLES names, each with its own environment; undefined when AIOS_ROLES is unset. */
export function hostedRoles(env: Env): HostedRole[] | undefined {
  const raw = env.AIOS_ROLES;
  if (raw === undefined || raw.trim() === "") return undefined;
  if (env.AIOS_ROLE) throw new ConfigError("AIOS_ROLES", "set either AIOS_ROLE (one role) or AIOS_ROLES (several in one process), not both");
  const roles = raw.split(",").map((r) => r.trim()).filter(Boolean);
  const seen = new Set<string>();
  for (const r of roles) {
    if (!(ROLES as readonly string[]).includes(r)) throw new ConfigError("AIOS_ROLES", `expected roles from ${ROLES.join(", ")}, got "${r}"`);
    if (r === "cell") throw new ConfigError("AIOS_ROLES", "a cell runs in a process of its own (AIOS_ROLE=cell)");
    if (seen.has(r)) throw new ConfigError("AIOS_ROLES", `"${r}" is listed twice`);
    seen.add(r);
  }
  const prefixes = (roles as Role[]).map(scopePrefix);
  // a scoped variable for a role that is not hosted is a typo, not something to ignore
  for (const key of Object.keys(env)) {
    if (!/^AIOS_[A-Z0-9_]+__[A-Z0-9_]+$/.test(key) || prefixes.some((p) => key.startsWith(p))) continue;
    const role = ROLES.find((r) => key.startsWith(scopePrefix(r)));
    throw new ConfigError(key, role ? `"${role}" is not in AIOS_ROLES (${roles.join(",")})` : `names no role (expected AIOS_<ROLE>__<NAME>, roles ${ROLES.join(", ")})`);
  }
  for (const name of PER_ROLE) {
    if (env[name]) throw new ConfigError(name, `each hosted role has its own: set ${scopePrefix(roles[0] as Role)}${name.slice(5)} and the like`);
  }
  const shared: Env = {};
  for (const [k, v] of Object.entries(env)) if (k !== "AIOS_ROLES" && !k.includes("__")) shared[k] = v;
  return (roles as Role[]).map((role, i) => {
    const prefix = prefixes[i]!;
    const scoped = Object.entries(env).filter(([k]) => k.startsWith(prefix));
    const own: Env = { AIOS_ROLE: role, AIOS_PORT: String(DEFAULT_PORTS[role]), AIOS_DATA_DIR: join(env.AIOS_DATA_DIR || "./data", role) };
    // NAME and NAME_FILE are alternatives: a scoped either one replaces the shared pair
    for (const [k] of scoped) {
      const base = `AIOS_${k.slice(prefix.length)}`.replace(/_FILE$/, "");
      own[base] = undefined;
      own[`${base}_FILE`] = undefined;
    }
    const source: Record<string, string> = {};
    for (const [k, v] of scoped) {
      const name = `AIOS_${k.slice(prefix.length)}`;
      if (name === "AIOS_ROLE") throw new ConfigError(k, "a hosted role's role comes from AIOS_ROLES");
      own[name] = v;
      source[name] = k;
    }
    return { role, env: { ...shared, ...own }, source };
  });
}

/** A ConfigError of one hosted role, naming the role and the variable as it was set. */
export function hostedConfigError(h: HostedRole, err: ConfigError): ConfigError {
  const variable = h.source[err.variable] ?? err.variable;
  const detail = err.message.slice(err.variable.length + 2);
  return new ConfigError(variable, `${detail} (role ${h.role})`);
}
