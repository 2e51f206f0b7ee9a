import type { FastifyPluginAsync } from "fastify";
import type { Role } from "../config.ts";
import cell from "./cell.ts";
import discovery from "./discovery.ts";
import networkListener from "../organelles/network-listener/index.ts";
import vscodeBridge from "../organelles/vscode-bridge/index.ts";
import consciousnessSync from "../organelles/consciousness-sync/index.ts";
import taskDispatcher from "../organelles/task-dispatcher/index.ts";

/** The features each role serves. */
export const ROLE_PLUGINS: Partial<Record<Role, FastifyPluginAsync>> = {
  cell,
  discovery,
  "network-listener": networkListener,
  "vscode-bridge": vscodeBridge,
  "consciousness-sync": consciousnessSync,
  "task-dispatcher": taskDispatcher,
};
