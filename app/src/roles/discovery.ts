// Discovery: the network view over HTTP, registration of HTTP-only cells, their health checks,
// and the fleet map (the live page at `/`).
import type { FastifyPluginAsync } from "fastify";
import presence from "../plugins/presence.ts";
import peers from "../plugins/peers.ts";
import health from "../plugins/health.ts";
import httpPeerChecker from "../plugins/http-peer-checker.ts";
import fleetMap from "../fleet-map/plugin.ts";

const discovery: FastifyPluginAsync = async (app) => {
  await app.register(presence, {});
  await app.register(peers);
  await app.register(httpPeerChecker);
  await app.register(health);
  await app.register(fleetMap);
};

export default discovery;
