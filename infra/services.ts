// The services a device can run, with their default ports and memory limits.
export const ORGANELLE_ROLES = ["network-listener", "vscode-bridge", "consciousness-sync", "task-dispatcher"] as const;
export type OrganelleRole = (typeof ORGANELLE_ROLES)[number];

export const ORGANELLE_PORTS: Record<OrganelleRole, number> = {
  "network-listener": 3000,
  "vscode-bridge": 3001,
  "consciousness-sync": 3002,
  "task-dispatcher": 3003,
};

/** The infrastructure services a device may run, besides the app's own roles. */
export const INFRA_SERVICES = ["traefik", "nats", "nats-exporter", "vault", "prometheus", "alertmanager", "grafana"] as const;
export type InfraService = (typeof INFRA_SERVICES)[number];

/** The container that runs a device's organelles in one process (aios:organelleHost.mode shared). */
export const ORGANELLE_HOST = "organelles";

/**
 * The variables the stack itself sets in an app container (infra/components/member.ts), from the
 * member's id, role, port, level and bus user and the device's settings. A cell's or organelle's
 * `env` may not set them: its value would replace the stack's wiring (a cell answering on
 * another port than its route, a certificate not its bus user's).
 */
export const STACK_ENV = [
  "AIOS_ROLE",
  "AIOS_ROLES",
  "AIOS_CELL_ID",
  "AIOS_DRAIN_MS",
  "AIOS_PORT",
  "AIOS_PUBLIC_URL",
  "AIOS_LEVEL",
  "AIOS_DEVICE",
  "AIOS_NATS_URLS",
  "AIOS_NATS_USER",
  "AIOS_NATS_TOKEN_FILE",
  "AIOS_BUS_CERT",
  "AIOS_BUS_FLEET_KEY",
  "AIOS_DATA_DIR",
  "AIOS_TOKEN_FILE",
  "AIOS_ACCEPT_TOKENS_FILE",
  "AIOS_TRUST_PROXY",
] as const;

export type ServiceKind = "cell" | "discovery" | "organelle" | "organelle-host" | InfraService | "dns";

/**
 * Memory limits (MB) unless the config overrides them. An organelle under sustained load (25
 * requests at a time, its health probe running) peaks at 62-67 MB with the image's heap cap
 * (35% of the limit); at 64 MB it sat at the limit and was killed by the kernel within 20 s in
 * some runs (the image test prints the peaks). The four organelles in one process (the
 * organelle host) share one Node runtime and one set of libraries: see the image test's peaks and
 * `npm run bench -- memory` for the figures behind its limit.
 */
export const DEFAULT_MEMORY_MB = {
  cell: 128,
  discovery: 96,
  organelle: 80,
  "organelle-host": 144,
  traefik: 64,
  nats: 48,
  "nats-exporter": 24,
  vault: 128,
  prometheus: 256,
  alertmanager: 64,
  grafana: 192,
} as const;
export const ORGANELLE_MAX_MB = 100;

