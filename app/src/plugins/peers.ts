// GET /peers (the network view) and POST /register (an HTTP-only peer joins the view).
import fp from "fastify-plugin";
import type { FastifyPluginAsync } from "fastify";
import type { PeerView } from "../lib/presence.ts";
import { conflict, unavailable } from "../lib/http-errors.ts";
import { CELL_ID_PATTERN, errorSchema, peerSchema } from "../schemas.ts";

export const toPeerJson = (p: PeerView) => ({
  cell_id: p.cell_id,
  role: p.role,
  device: p.device,
  url: p.url,
  consciousness_level: p.consciousness_level,
  version: p.version,
  last_heartbeat: p.heartbeat,
  status: p.up ? "up" : "down",
  transport: p.transport,
});

interface RegisterBody {
  cell_id: string;
  url: string;
  device?: string;
  consciousness_level?: number;
}

const peersPlugin: FastifyPluginAsync = async (app) => {
  app.get(
    "/peers",
    {
      schema: {
        // Every known cell, up or down
        response: {
          200: {
            type: "object",
            properties: {
              cell_id: { type: "string" },
              bus_connected: { type: "boolean" },
              peers: { type: "array", items: peerSchema },
            },
          },
        },
      },
    },
    async () => ({
      cell_id: app.config.cellId,
      bus_connected: app.bus.connected,
      peers: app.presence.view().map(toPeerJson),
    }),
  );

  app.post<{ Body: RegisterBody }>(
    "/register",
    {
      onRequest: app.requireToken,
      schema: {
        // Register a cell that speaks HTTP only; discovery health-checks it from then on
        body: {
          type: "object",
          required: ["cell_id", "url"],
          additionalProperties: false,
          properties: {
            cell_id: { type: "string", pattern: CELL_ID_PATTERN },
            url: { type: "string", format: "uri", pattern: "^https?://" },
            device: { type: "string", pattern: CELL_ID_PATTERN },
            consciousness_level: { type: "number", minimum: 0, maximum: 10 },
          },
        },
        response: {
          201: { type: "object", properties: { registered: peerSchema } },
          400: errorSchema,
          401: errorSchema,
          409: errorSchema,
          503: errorSchema,
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      if (!app.presence.ready) {
        return reply
          .code(503)
          .send(unavailable(`cannot register while the bus is unavailable (${app.bus.lastError ?? "connecting"})`));
      }
      const existing = app.presence.get(b.cell_id);
      if (existing && existing.transport === "bus" && existing.up) {
        return reply
          .code(409)
          .send(conflict(`cell id "${b.cell_id}" belongs to a live cell on device ${existing.device}`));
      }
      const record = {
        cell_id: b.cell_id,
        role: "cell",
        device: b.device ?? "unknown",
        url: b.url.replace(/\/$/, ""),
        consciousness_level: b.consciousness_level ?? 0,
        version: "unknown",
        heartbeat: new Date().toISOString(),
        transport: "http" as const,
      };
      await app.presence.put(record);
      return reply.code(201).send({ registered: toPeerJson({ ...record, up: true }) });
    },
  );
};

export default fp(peersPlugin, { name: "peers", dependencies: ["config", "auth", "bus", "presence"] });
