import type { FastifyPluginAsync } from "fastify";
import type { Role } from "../config.ts";

type Loader = () => Promise<FastifyPluginAsync>;

/**
 * The features each role serves, loaded on demand: a process imports only its own role's
 * code (every organelle imported into every cell cost about 7 MB of resident memory). The
 * specifiers are literal so the packager can split each role into a chunk of its own.
 */
export const ROLE_PLUGINS: Record<Role, Loader> = {
  cell: async () => (await import("./cell.ts")).default,
  discovery: async () => (await import("./discovery.ts")).default,
  "network-listener": async () => (await import("../organelles/network-listener/index.ts")).default,
  "vscode-bridge": async () => (await import("../organelles/vscode-bridge/index.ts")).default,
  "consciousness-sync": async () => (await import("../organelles/consciousness-sync/index.ts")).default,
  "task-dispatcher": async () => (await import("../organelles/task-dispatcher/index.ts")).default,
};
