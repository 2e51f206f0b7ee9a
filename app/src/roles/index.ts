import type { FastifyPluginAsync } from "fastify";
import type { Role } from "../config.ts";

type Loader = () => Promise<FastifyPluginAsync>;
const load =
  (path: string): Loader =>
  async () =>
    ((await import(path)) as { default: FastifyPluginAsync }).default;

/**
 * The features each role serves, loaded on demand: a process imports only its own role's
 * code (every organelle imported into every cell cost about 7 MB of resident memory).
 */
export const ROLE_PLUGINS: Record<Role, Loader> = {
  cell: load("./cell.ts"),
  discovery: load("./discovery.ts"),
  "network-listener": load("../organelles/network-listener/index.ts"),
  "vscode-bridge": load("../organelles/vscode-bridge/index.ts"),
  "consciousness-sync": load("../organelles/consciousness-sync/index.ts"),
  "task-dispatcher": load("../organelles/task-dispatcher/index.ts"),
};
