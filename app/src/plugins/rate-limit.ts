// Per-client rate limits (@fastify/rate-limit) on every mutating route: a client is its token
// and its address, so one chatty script cannot starve the others. GET routes (/health,
// /metrics, the views) are never limited. Failed authentication has its own, stricter limit
// in auth.ts.
import { createHash } from "node:crypto";
import fp from "fastify-plugin";
import rateLimit from "@fastify/rate-limit";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import { tooManyRequests } from "../lib/http-errors.ts";
import { takesBody } from "../lib/methods.ts";

/** The token is hashed: the limiter's keys live in memory, and must never hold a secret as such. */
export function clientKey(req: FastifyRequest): string {
  const auth = req.headers.authorization;
  const token = auth ? createHash("sha256").update(auth).digest("base64url").slice(0, 16) : "-";
  return `${req.ip} ${token}`;
}

const rateLimitPlugin: FastifyPluginAsync = async (app) => {
  const { rateMax, rateWindowMs } = app.config.limits;
  // before @fastify/rate-limit's own onRoute hook, which reads config.rateLimit
  app.addHook("onRoute", (route) => {
    if (!takesBody(route.method)) return;
    route.config = { ...route.config, rateLimit: { max: rateMax, timeWindow: rateWindowMs, keyGenerator: clientKey } };
  });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) =>
      tooManyRequests(`rate limit: more than ${ctx.max} calls in ${rateWindowMs / 1000} s from this client; retry in ${ctx.after}`),
  });
};

export default fp(rateLimitPlugin, { name: "rate-limit", dependencies: ["config"] });
