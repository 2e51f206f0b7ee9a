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

  // Label children cached per (method, route, status): prom-client would otherwise hash the
  // label set on every request, a visible share of a /health call's cost.
  const children = new Map<string, { count: () => void; observe: (s: number) => void }>();
  app.addHook("onResponse", (req, reply, done) => {
    const route = req.routeOptions.url ?? "unmatched";
    const key = `${req.method} ${route} ${reply.statusCode}`;
    let child = children.get(key);
    if (!child) {
      const counter = metrics.httpRequests.labels(req.method, route, String(reply.statusCode));
      const histogram = metrics.httpDuration.labels(req.method, route);
      child = { count: () => counter.inc(), observe: (s) => histogram.observe(s) };
      children.set(key, child);
    }
    child.count();
    child.observe(reply.elapsedTime / 1000);
    done();
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
