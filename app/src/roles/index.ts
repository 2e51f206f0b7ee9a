import type { FastifyPluginAsync } from "fastify";
import type { Role } from "../config.ts";
import cell from "./cell.ts";
import discovery from "./discovery.ts";

/** The features each role serves. Organelles are added by their own modules. */
export const ROLE_PLUGINS: Partial<Record<Role, FastifyPluginAsync>> = {
  cell,
  discovery,
};
