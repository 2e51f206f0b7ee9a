import fp from "fastify-plugin";
import type { FastifyPluginAsync, onSendHookHandler } from "fastify";
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

  // Each route gets its own onSend hook that knows the route's label, with the prom-client
  // label children cached per (method, status): a global hook would read req.routeOptions (a
  // new frozen object per call) and prom-client would hash the label set on every request.
  // onSend, not onResponse: any onResponse hook makes fastify listen for every response's
  // 'finish' event, which cost more than the counting itself. The duration therefore ends when
  // the answer is handed to the socket.
  const recorder = (route: string): onSendHookHandler => {
    const children = new Map<string, { requests: { inc(): void }; duration: { observe(seconds: number): void } }>();
    return (req, reply, payload, done) => {
      const key = req.method + reply.statusCode;
      let child = children.get(key);
      if (!child) {
        child = {
          requests: metrics.httpRequests.labels(req.method, route, String(reply.statusCode)),
          duration: metrics.httpDuration.labels(req.method, route),
        };
        children.set(key, child);
      }
      child.requests.inc();
      child.duration.observe(reply.elapsedTime / 1000);
      done(null, payload);
    };
  };
  app.addHook("onRoute", (route) => {
    route.onSend = [...[route.onSend ?? []].flat(), recorder(route.url)];
  });
  // Requests no route matched get fastify's usual 404 answer, counted under route "unmatched".
  // The handler sits in its own context so that this hook runs for those answers only.
  await app.register(async (unmatched) => {
    unmatched.addHook("onSend", recorder("unmatched"));
    unmatched.setNotFoundHandler(async (req, reply) =>
      reply.code(404).send({ message: `Route ${req.method}:${req.url} not found`, error: "Not Found", statusCode: 404 }),
    );
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
