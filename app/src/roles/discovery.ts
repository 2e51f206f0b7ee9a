// Discovery: the network view over HTTP, registration of HTTP-only cells, and their health checks.
import type { FastifyPluginAsync } from "fastify";
import presence from "../plugins/presence.ts";
import peers from "../plugins/peers.ts";
import health from "../plugins/health.ts";
import httpPeerChecker from "../plugins/http-peer-checker.ts";

const discovery: FastifyPluginAsync = async (app) => {
  await app.register(presence, {});
  await app.register(peers);
  await app.register(httpPeerChecker);
  await app.register(health);
};

export default discovery;
