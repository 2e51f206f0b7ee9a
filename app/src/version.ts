import { readFileSync } from "node:fs";

/** The app's version, from its own package.json (the same file the phone installs). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;
