import fp from "fastify-plugin";
import type { FastifyPluginAsync } from "fastify";
import { Presence, type PresenceRecord } from "../lib/presence.ts";

declare module "fastify" {
  interface FastifyInstance {
    presence: Presence;
  }
}

export interface PresenceOptions {
  /** This member's own record, for members that heartbeat (cells); absent for watchers only. */
  self?: () => PresenceRecord;
}

const presencePlugin: FastifyPluginAsync<PresenceOptions> = async (app, opts) => {
  const { heartbeatMs, downAfterMs, cellId } = app.config;
  const presence = new Presence(app.bus, { heartbeatMs, downAfterMs, ...(opts.self ? { self: opts.self } : {}) });
  app.decorate("presence", presence);
  app.metrics.beforeScrape.push(() => {
    const others = presence.view().filter((p) => p.cell_id !== cellId);
    app.metrics.peersKnown.set(others.length);
    app.metrics.peersUp.set(others.filter((p) => p.up).length);
  });
  app.addHook("preClose", async () => presence.stop());
};

export default fp(presencePlugin, { name: "presence", dependencies: ["config", "metrics", "bus"] });
