// Load shedding (@fastify/under-pressure): past an event-loop delay or heap bound, work routes
// answer 503 with Retry-After at once instead of queueing more work; GET /health and /metrics
// keep answering, /health as "degraded" with the reason, so Docker does not kill a cell that is
// busy but alive. under-pressure samples every second.
import fp from "fastify-plugin";
import underPressure, { type FastifyUnderPressureOptions } from "@fastify/under-pressure";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { unavailable } from "../lib/http-errors.ts";

const ALWAYS_SERVED = new Set(["/health", "/metrics"]);
const MB = 1024 * 1024;
// under-pressure samples once a second, and reads a second without a single event-loop tick as
// an infinite delay: that is what loading and starting look like on a busy machine or a phone.
// A service sheds load only once it has been ready for two samples.
const SAMPLE_MS = 1000;
const GRACE_MS = 2 * SAMPLE_MS;

const overloadPlugin: FastifyPluginAsync = async (app) => {
  const { maxEventLoopDelayMs, maxHeapUsedBytes, retryAfterS } = app.config.limits;
  if (!maxEventLoopDelayMs && !maxHeapUsedBytes) return;
  let readyAt = Infinity;
  app.addHook("onReady", async () => {
    readyAt = Date.now();
  });
  const starting = () => Date.now() - readyAt < GRACE_MS;
  /** Why the service is shedding load now, or undefined. */
  const reason = (): string | undefined => {
    if (starting() || !app.isUnderPressure()) return undefined;
    const { eventLoopDelay, heapUsed } = app.memoryUsage();
    if (maxEventLoopDelayMs && eventLoopDelay > maxEventLoopDelayMs) {
      return `event-loop delay ${Math.round(eventLoopDelay)} ms over AIOS_MAX_EVENT_LOOP_DELAY_MS ${maxEventLoopDelayMs}`;
    }
    return `heap in use ${Math.round(heapUsed / MB)} MB over AIOS_MAX_HEAP_MB ${Math.round(maxHeapUsedBytes / MB)}`;
  };
  // under-pressure sends what the handler returns, and goes on with the request when it returns
  // nothing (its types only allow the latter)
  const shed = (req: FastifyRequest, reply: FastifyReply) => {
    if (ALWAYS_SERVED.has(req.routeOptions.url ?? "") || starting()) return undefined;
    reply.code(503).header("retry-after", retryAfterS);
    return unavailable(`overloaded (${reason() ?? "under pressure"}); retry in ${retryAfterS} s`);
  };
  await app.register(underPressure, {
    sampleInterval: SAMPLE_MS,
    maxEventLoopDelay: maxEventLoopDelayMs,
    maxHeapUsedBytes,
    retryAfter: retryAfterS,
    pressureHandler: shed as unknown as FastifyUnderPressureOptions["pressureHandler"],
  });
  app.healthChecks.push(() => {
    const why = reason();
    return why && `shedding load: ${why}`;
  });
};

export default fp(overloadPlugin, { name: "overload", dependencies: ["config"] });
