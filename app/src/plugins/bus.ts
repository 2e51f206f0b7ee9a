import fp from "fastify-plugin";
import type { FastifyPluginAsync } from "fastify";
import { Bus, type Denial, type Rejection } from "../lib/bus.ts";

declare module "fastify" {
  interface FastifyInstance {
    bus: Bus;
  }
}

const busPlugin: FastifyPluginAsync = async (app) => {
  const { natsUrls, natsUser, natsToken, natsTls, sealer, cellId, role } = app.config;
  const bus = new Bus({
    servers: natsUrls,
    user: natsUser,
    token: natsToken,
    tls: natsTls,
    sealer,
    name: `${role}:${cellId}`,
    log: { info: (m) => app.log.info(m), warn: (m) => app.log.warn(m) },
  });
  app.decorate("bus", bus);
  const connected = app.metrics.busConnected;
  bus.on("up", () => connected.set(1));
  bus.on("down", () => connected.set(0));
  bus.on("denied", (d: Denial) => app.metrics.busDenied.inc({ operation: d.operation }));
  bus.on("rejected", (r: Rejection) => app.metrics.busRejected.inc({ channel: r.channel }));
  app.addHook("onReady", async () => bus.start());
  // closed last (see app.ts): features flush through the bus in their own onClose hooks first
};

export default fp(busPlugin, { name: "bus", dependencies: ["config", "metrics"] });
