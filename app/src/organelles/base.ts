// What every organelle shares: a presence record on the bus (so the fleet sees it, with its
// role) and GET /health.
import type { FastifyInstance } from "fastify";
import presence from "../plugins/presence.ts";
import health from "../plugins/health.ts";

export async function registerOrganelleBase(app: FastifyInstance): Promise<void> {
  // organelles carry no level of their own; cells do
  await app.register(presence, { level: () => 0 });
  await app.register(health);
}

