// The cell: presence heartbeats, consciousness level, messages, peers and health.
import type { FastifyPluginAsync } from "fastify";
import presence from "../plugins/presence.ts";
import consciousness from "../plugins/consciousness.ts";
import messaging from "../plugins/messaging.ts";
import peers from "../plugins/peers.ts";
import health from "../plugins/health.ts";
import taskWorker from "../tasks/worker-plugin.ts";

const cell: FastifyPluginAsync = async (app) => {
  await app.register(presence, {
    // before the consciousness plugin loads, the configured level stands in
    level: () => (app.hasDecorator("consciousness") ? app.consciousness.level : app.config.level),
  });
  await app.register(consciousness);
  await app.register(messaging);
  await app.register(peers);
  await app.register(health);
  await app.register(taskWorker);
};

export default cell;
