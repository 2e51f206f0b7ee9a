// A cell's consciousness level: starts at AIOS_LEVEL (or the level saved in the data directory),
// moves by the rules in lib/level.ts, and is saved after every change.
import { join } from "node:path";
import fp from "fastify-plugin";
import type { FastifyPluginAsync } from "fastify";
import { evolve, networkView, syncToward, type NetworkView } from "../lib/level.ts";
import { readJson, writeFileDurable } from "../lib/durable-file.ts";
import { errorSchema, networkViewSchema } from "../schemas.ts";
import { cellLevels } from "../lib/presence.ts";

declare module "fastify" {
  interface FastifyInstance {
    consciousness: { readonly level: number; network(): NetworkView };
  }
}

const consciousnessPlugin: FastifyPluginAsync = async (app) => {
  const { cellId, dataDir } = app.config;
  const file = join(dataDir, "consciousness.json");
  let level = readJson<{ level: number }>(file)?.level ?? app.config.level;
  app.metrics.level.set(level);

  const setLevel = (next: number): void => {
    level = next;
    writeFileDurable(file, JSON.stringify({ level }));
    app.metrics.level.set(level);
    void app.presence.beat();
  };
  /** Levels of every cell up, with this cell's current level in place of its heartbeat copy. */
  const network = (): NetworkView =>
    networkView([
      ...cellLevels(app.presence.view()).filter((c) => c.cell_id !== cellId),
      { cell_id: cellId, consciousness_level: level },
    ]);

  app.decorate("consciousness", {
    get level() {
      return level;
    },
    network,
  });
  app.metrics.beforeScrape.push(() => app.metrics.coherence.set(network().coherence));

  const changeSchema = {
    type: "object",
    properties: {
      cell_id: { type: "string" },
      previous_level: { type: "number" },
      consciousness_level: { type: "number" },
      network: networkViewSchema,
    },
  } as const;

  app.post<{ Body: { stimulus?: number } | undefined }>(
    "/consciousness/evolve",
    {
      onRequest: app.requireToken,
      schema: {
        // Evolve this cell's level one step (stimulus 0-1, default 1)
        body: {
          type: ["object", "null"],
          additionalProperties: false,
          properties: { stimulus: { type: "number", minimum: 0, maximum: 1 } },
        },
        response: { 200: changeSchema, 400: errorSchema, 401: errorSchema },
      },
    },
    async (req) => {
      const previous = level;
      setLevel(evolve(level, req.body?.stimulus ?? 1));
      return { cell_id: cellId, previous_level: previous, consciousness_level: level };
    },
  );

  app.post(
    "/sync-consciousness",
    {
      onRequest: app.requireToken,
      schema: {
        // Pull this cell's level toward the network mean; returns the level and the network view
        response: { 200: changeSchema, 401: errorSchema },
      },
    },
    async () => {
      const previous = level;
      setLevel(syncToward(level, network().mean_level));
      return { cell_id: cellId, previous_level: previous, consciousness_level: level, network: network() };
    },
  );
};

export default fp(consciousnessPlugin, {
  name: "consciousness",
  dependencies: ["config", "metrics", "auth", "presence"],
});
