import fp from "fastify-plugin";
import type { FastifyPluginAsync } from "fastify";
import { Presence } from "../lib/presence.ts";
import { VERSION } from "../version.ts";

declare module "fastify" {
  interface FastifyInstance {
    presence: Presence;
  }
}

export interface PresenceOptions {
  /**
   * Members that heartbeat (cells, organelles) give the level their record carries; without
   * it the member only watches (discovery).
   */
  level?: () => number;
}

const presencePlugin: FastifyPluginAsync<PresenceOptions> = async (app, opts) => {
  const { heartbeatMs, downAfterMs, cellId, device, publicUrl, role } = app.config;
  const { level } = opts;
  const self = level && (() => ({
    cell_id: cellId,
    role,
    device,
    url: publicUrl,
    consciousness_level: level(),
    version: VERSION,
    heartbeat: new Date().toISOString(),
    transport: "bus" as const,
  }));
  const presence = new Presence(app.bus, { heartbeatMs, downAfterMs, ...(self ? { self } : {}) });
  app.decorate("presence", presence);
  app.metrics.beforeScrape.push(() => {
    const others = presence.view().filter((p) => p.cell_id !== cellId);
    app.metrics.peersKnown.set(others.length);
    app.metrics.peersUp.set(others.filter((p) => p.up).length);
  });
  app.addHook("preClose", async () => presence.stop());
};

export default fp(presencePlugin, { name: "presence", dependencies: ["config", "metrics", "bus"] });
