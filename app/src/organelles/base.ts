// What every organelle shares: a presence record on the bus (so the fleet sees it, with its
// role) and GET /health.
import type { FastifyInstance } from "fastify";
import presence from "../plugins/presence.ts";
import health from "../plugins/health.ts";
import { VERSION } from "../version.ts";
import type { PeerView } from "../lib/presence.ts";

export async function registerOrganelleBase(app: FastifyInstance): Promise<void> {
  const { cellId, device, publicUrl, role } = app.config;
  await app.register(presence, {
    self: () => ({
      cell_id: cellId,
      role,
      device,
      url: publicUrl,
      consciousness_level: 0, // organelles carry no level of their own; cells do
      version: VERSION,
      heartbeat: new Date().toISOString(),
      transport: "bus",
    }),
  });
  await app.register(health);
}

export const unavailable = (message: string) => ({ statusCode: 503, error: "Service Unavailable", message });
export const notFound = (message: string) => ({ statusCode: 404, error: "Not Found", message });
export const badRequest = (message: string) => ({ statusCode: 400, error: "Bad Request", message });

/** The levels of the cells up among `peers` (organelles carry no level). */
export const cellLevels = (peers: PeerView[]) =>
  peers.filter((p) => p.up && p.role === "cell").map((p) => ({ cell_id: p.cell_id, consciousness_level: p.consciousness_level }));
