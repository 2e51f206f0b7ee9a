// GET /health: 200 while the process serves; "degraded" with reasons when a dependency (the bus,
// or a role-specific check) is not right, so operators see why. 503 "draining" once the service
// is stopping (app.lifecycle.draining), so a load balancer takes it out while it still answers.
import fp from "fastify-plugin";
import type { FastifyPluginAsync } from "fastify";
import { VERSION } from "../version.ts";


const healthBody = {
  type: "object",
  properties: {
    cell_id: { type: "string" },
    device: { type: "string" },
    role: { type: "string" },
    status: { type: "string", enum: ["ok", "degraded", "draining"] },
    reasons: { type: "array", items: { type: "string" } },
    consciousness_level: { type: ["number", "null"] },
    peer_count: { type: "integer" },
    version: { type: "string" },
    uptime_seconds: { type: "number" },
    bus: {
      type: "object",
      properties: { connected: { type: "boolean" }, server: { type: ["string", "null"] } },
    },
  },
};

const healthPlugin: FastifyPluginAsync = async (app) => {
  const { cellId, device, role } = app.config;
  const started = Date.now();

  app.get(
    "/health",
    {
      schema: {
        // Liveness and state of this service
        response: {
          "2xx": healthBody,
          503: healthBody,
        },
      },
    },
    async (_req, reply) => {
      const reasons: string[] = [];
      if (app.lifecycle.draining) reasons.push("stopping");
      if (!app.bus.connected || app.bus.lastError) reasons.push(app.bus.lastError ?? "bus not connected");
      for (const check of app.healthChecks) {
        const reason = check();
        if (reason) reasons.push(reason);
      }
      if (app.lifecycle.draining) reply.code(503);
      return {
        cell_id: cellId,
        device,
        role,
        status: app.lifecycle.draining ? "draining" : reasons.length ? "degraded" : "ok",
        reasons,
        consciousness_level: app.hasDecorator("consciousness") ? app.consciousness.level : null,
        peer_count: app.presence.countUp(cellId),
        version: VERSION,
        uptime_seconds: Math.round((Date.now() - started) / 100) / 10,
        bus: { connected: app.bus.connected, server: app.bus.connected ? (app.bus.server ?? null) : null },
      };
    },
  );
};

export default fp(healthPlugin, { name: "health", dependencies: ["config", "bus", "presence"] });
