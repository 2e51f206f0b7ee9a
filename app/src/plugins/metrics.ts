import fp from "fastify-plugin";
import type { FastifyPluginAsync } from "fastify";
import { createMetrics, type Metrics } from "../lib/metrics.ts";
import { VERSION } from "../version.ts";

declare module "fastify" {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

const metricsPlugin: FastifyPluginAsync = async (app) => {
  const { cellId, device, role } = app.config;
  const metrics = createMetrics({ cell_id: cellId, device, role });
  metrics.info.set({ version: VERSION }, 1);
  app.decorate("metrics", metrics);

  app.addHook("onResponse", async (req, reply) => {
    const route = req.routeOptions.url ?? "unmatched";
    metrics.httpRequests.inc({ method: req.method, route, status_code: reply.statusCode });
    metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });

  app.get(
    "/metrics",
    { schema: { response: { 200: { type: "string" } } } },
    async (_req, reply) => {
      for (const refresh of metrics.beforeScrape) refresh();
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );
};

export default fp(metricsPlugin, { name: "metrics", dependencies: ["config"] });
