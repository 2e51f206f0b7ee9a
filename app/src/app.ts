// buildApp: the service for the configured role, ready to listen (it does not listen itself).
import { hostname } from "node:os";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { pino, type DestinationStream } from "pino";
import type { AppConfig } from "./config.ts";
import configPlugin from "./plugins/config.ts";
import metricsPlugin from "./plugins/metrics.ts";
import overloadPlugin from "./plugins/overload.ts";
import bodyDrainPlugin from "./plugins/body-drain.ts";
import rateLimitPlugin from "./plugins/rate-limit.ts";
import authPlugin from "./plugins/auth.ts";
import busPlugin from "./plugins/bus.ts";
import { ROLE_PLUGINS } from "./roles/index.ts";

declare module "fastify" {
  interface FastifyInstance {
    /** draining: set on SIGTERM while the service still serves before it closes (/health says 503). */
    lifecycle: { draining: boolean };
    /** Checks /health runs (load shedding, a role's own): each returns a reason when degraded. */
    healthChecks: (() => string | undefined)[];
  }
}

export interface BuildOptions {
  config: AppConfig;
  /** false for silence (tests); by default JSON lines on stdout at AIOS_LOG_LEVEL. */
  logger?: false | { level?: string; destination?: DestinationStream };
}

export async function buildApp(opts: BuildOptions): Promise<FastifyInstance> {
  const { config } = opts;
  const rolePlugin = await ROLE_PLUGINS[config.role]();
  const level = opts.logger === false ? "silent" : (opts.logger?.level ?? config.logLevel);
  // each line names its role: several roles may share one process and its stdout (AIOS_ROLES)
  const base = { pid: process.pid, hostname: hostname(), role: config.role };
  const log: FastifyBaseLogger = pino({ level, base }, opts.logger ? opts.logger.destination : undefined);
  const debugging = level === "debug" || level === "trace";
  const app = Fastify({
    // Fastify gets the logger only when debugging (then with a log line per request). A fastify
    // with any logger makes a child logger and listens for 'finish' on every request, about a
    // tenth of a /health call; without one, req.log is a no-op and the app logs through app.log.
    ...(debugging ? { loggerInstance: log } : {}),
    bodyLimit: config.bodyLimit,
    // behind Traefik the client is the address it forwards for, not Traefik's own
    trustProxy: config.trustProxy.length ? config.trustProxy : false,
    // Refuse unknown fields instead of dropping them (fastify's default): a misspelt optional
    // field must not silently fall back to its default. The 400 names the field.
    ajv: { customOptions: { removeAdditional: false } },
    schemaErrorFormatter: (errors, dataVar) =>
      new Error(
        errors
          .map((e) => {
            const extra = e.params.additionalProperty;
            return `${dataVar}${e.instancePath} ${e.message ?? "is invalid"}${typeof extra === "string" ? ` ("${extra}")` : ""}`;
          })
          .join(", "),
      ),
  });
  if (!debugging) {
    app.log = log; // a plain property; plugins registered from here on inherit it
    // what fastify's error handler would have logged through the request's logger
    app.addHook("onError", async (req, _reply, err) => {
      if ((err.statusCode ?? 500) >= 500) log.error({ err }, `${req.method} ${req.url} failed`);
    });
  }
  // one object for the whole app, so the entry point's SIGTERM handler reaches the role's /health
  app.decorate("lifecycle", { draining: false });
  // before every plugin, so any of them (load shedding, a role) can add a reason to /health
  app.decorate("healthChecks", [] as (() => string | undefined)[]);
  await app.register(configPlugin, { config });
  await app.register(metricsPlugin);
  await app.register(overloadPlugin);
  await app.register(bodyDrainPlugin);
  await app.register(rateLimitPlugin);
  await app.register(authPlugin);
  await app.register(busPlugin);
  await app.register(rolePlugin);
  // features stop in preClose (while the bus is still up); the bus closes last
  app.addHook("onClose", async () => app.bus.close());
  return app;
}
