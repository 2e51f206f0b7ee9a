// buildApp: the service for the configured role, ready to listen (it does not listen itself).
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { AppConfig } from "./config.ts";
import configPlugin from "./plugins/config.ts";
import metricsPlugin from "./plugins/metrics.ts";
import authPlugin from "./plugins/auth.ts";
import busPlugin from "./plugins/bus.ts";
import { ROLE_PLUGINS } from "./roles/index.ts";

export interface BuildOptions {
  config: AppConfig;
  /** pino options, or false for silence (tests). Defaults to JSON logs at AIOS_LOG_LEVEL. */
  logger?: boolean | { level: string };
}

export async function buildApp(opts: BuildOptions): Promise<FastifyInstance> {
  const { config } = opts;
  const rolePlugin = await ROLE_PLUGINS[config.role]();
  const debugging = config.logLevel === "debug" || config.logLevel === "trace";
  const app = Fastify({
    logger: opts.logger ?? { level: config.logLevel },
    bodyLimit: config.bodyLimit,
    // one log line per request only when debugging; otherwise requests share the app's
    // logger instead of making a child logger each (a measurable share of a /health call)
    logController: new LogController({ disableRequestLogging: !debugging }),
    ...(debugging ? {} : { childLoggerFactory: (logger: FastifyBaseLogger) => logger }),
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
  await app.register(configPlugin, { config });
  await app.register(metricsPlugin);
  await app.register(authPlugin);
  await app.register(busPlugin);
  await app.register(rolePlugin);
  // features stop in preClose (while the bus is still up); the bus closes last
  app.addHook("onClose", async () => app.bus.close());
  return app;
}
