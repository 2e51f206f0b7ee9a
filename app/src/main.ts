// Entry point: `npm start` (or `node src/main.ts`) runs the role the environment names
// (AIOS_ROLE), or several roles in this one process (AIOS_ROLES, see host.ts).
import type { FastifyInstance } from "fastify";
import { buildApp } from "./app.ts";
import { ConfigError, loadConfig, type AppConfig } from "./config.ts";
import { hostedConfigError, hostedRoles, type HostedRole } from "./host.ts";

const EX_CONFIG = 78;

/** What this process runs: one config per role, each error naming the role when several are hosted. */
function configs(): { hosted?: HostedRole; config: AppConfig }[] {
  const hosted = hostedRoles(process.env);
  if (!hosted) return [{ config: loadConfig() }];
  return hosted.map((h) => {
    try {
      return { hosted: h, config: loadConfig(h.env) };
    } catch (err) {
      throw err instanceof ConfigError ? hostedConfigError(h, err) : err;
    }
  });
}

/** A role that did not start: the process stops, naming it. */
class RoleStartError extends Error {
  constructor(role: string, cause: unknown) {
    super(`role ${role} failed to start: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

async function main(): Promise<void> {
  const units = configs();
  const apps: FastifyInstance[] = [];
  let stopping = false;
  const closeAll = (): Promise<unknown> => Promise.allSettled(apps.map((a) => a.close()));
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    for (const a of apps) a.log.info(`${signal}: stopping`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    closeAll().then(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  for (const { hosted, config } of units) {
    try {
      const app = await buildApp({ config });
      apps.push(app);
      await app.listen({ host: config.host, port: config.port });
    } catch (err) {
      if (!hosted) throw err;
      // the roles already up stop too: a host is healthy only with every role, so half of one
      // must not stay running
      stopping = true;
      await closeAll();
      throw err instanceof ConfigError ? hostedConfigError(hosted, err) : new RoleStartError(hosted.role, err);
    }
  }
}

main().catch((err: unknown) => {
  // a role's own variables are checked while its plugins load, inside buildApp
  if (err instanceof ConfigError) {
    process.stderr.write(`aios: configuration error: ${err.message}\n`);
    process.exit(EX_CONFIG);
  }
  process.stderr.write(`aios: ${err instanceof RoleStartError ? err.message : ((err as Error).stack ?? String(err))}\n`);
  process.exit(1);
});
