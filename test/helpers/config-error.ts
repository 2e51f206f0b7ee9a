import { ConfigError, loadConfig } from "../../app/src/config.ts";

/** The ConfigError the app's config gives for `env`; fails the test when it gives none. */
export function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}
