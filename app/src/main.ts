// Entry point: `npm start` (or `node src/main.ts`) runs the role the environment names.
import { buildApp } from "./app.ts";
import { ConfigError, loadConfig } from "./config.ts";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`aios: configuration error: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const app = await buildApp({ config });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    app.log.info(`${signal}: stopping${config.drainMs ? `, draining for ${config.drainMs} ms first` : ""}`);
    const force = setTimeout(() => process.exit(1), config.drainMs + 10_000);
    force.unref();
    // while draining, /health says 503 and everything else is still served
    app.lifecycle.draining = true;
    setTimeout(() => {
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    }, config.drainMs);
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  await app.listen({ host: config.host, port: config.port });
}

main().catch((err: unknown) => {
  // a role's own variables are checked while its plugins load, inside buildApp
  if (err instanceof ConfigError) {
    process.stderr.write(`aios: configuration error: ${err.message}\n`);
    process.exit(78);
  }
  process.stderr.write(`aios: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
