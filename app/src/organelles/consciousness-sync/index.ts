// consciousness-sync (port 3002): the network's levels and coherence (GET /consciousness/state),
// how they moved over time (GET /metrics/evolution), and POST /consciousness/evolve, which
// evolves every cell up one step through its own API. Its state is saved in the data directory:
// a restarted organelle serves what it last knew until the bus returns, then follows the bus.
import type { FastifyPluginAsync } from "fastify";
import { Gauge } from "prom-client";
import { errorSchema, networkViewSchema, peerSchema } from "../../schemas.ts";
import { networkView, type NetworkView } from "../../lib/level.ts";
import { toPeerJson } from "../../plugins/peers.ts";
import { registerOrganelleBase } from "../base.ts";
import { unavailable } from "../../lib/http-errors.ts";
import { cellLevels } from "../../lib/presence.ts";
import { PersistedView } from "../persisted-view.ts";

const MAX_SAMPLES = 1000;
const MAX_EVOLUTIONS = 100;
const EVOLVE_CALL_TIMEOUT_MS = 3000;

interface Sample {
  at: string;
  mean_level: number;
  coherence: number;
  cells_up: number;
}

interface CellChange {
  cell_id: string;
  previous_level?: number;
  consciousness_level?: number;
  error?: string;
}

interface Evolution {
  at: string;
  stimulus: number;
  cells: CellChange[];
  before: { mean_level: number; coherence: number };
  after: { mean_level: number; coherence: number };
}

interface SyncState {
  samples: Sample[];
  samples_total: number;
  evolutions: Evolution[];
  evolutions_total: number;
}

const summary = (v: NetworkView) => ({ mean_level: v.mean_level, coherence: v.coherence });
const sampleSchema = {
  type: "object",
  properties: { at: { type: "string" }, mean_level: { type: "number" }, coherence: { type: "number" }, cells_up: { type: "integer" } },
} as const;
const levelPair = { type: "object", properties: { mean_level: { type: "number" }, coherence: { type: "number" } } } as const;
const evolutionSchema = {
  type: "object",
  properties: {
    at: { type: "string" },
    stimulus: { type: "number" },
    cells: {
      type: "array",
      items: {
        type: "object",
        properties: {
          cell_id: { type: "string" },
          previous_level: { type: "number" },
          consciousness_level: { type: "number" },
          error: { type: "string" },
        },
      },
    },
    before: levelPair,
    after: levelPair,
  },
} as const;

const consciousnessSync: FastifyPluginAsync = async (app) => {
  await registerOrganelleBase(app);
  const view = new PersistedView<SyncState>(app, "consciousness-sync.json", {
    samples: [],
    samples_total: 0,
    evolutions: [],
    evolutions_total: 0,
  });
  const state = view.extra;
  const meanGauge = new Gauge({
    name: "aios_network_mean_level",
    help: "Mean consciousness level of the cells up, as the sync organelle sees it",
    registers: [app.metrics.registry],
  });

  const network = (): NetworkView => networkView(cellLevels(view.current().peers));
  app.metrics.beforeScrape.push(() => {
    const v = network();
    app.metrics.coherence.set(v.coherence);
    meanGauge.set(v.mean_level);
  });

  /** Records a sample whenever the network's mean, coherence or size changed (checked each heartbeat). */
  const sample = (): void => {
    if (!app.presence.ready) return;
    const v = network();
    const last = state.samples.at(-1);
    if (last && last.mean_level === v.mean_level && last.coherence === v.coherence && last.cells_up === v.cells.length) return;
    state.samples.push({ at: new Date().toISOString(), mean_level: v.mean_level, coherence: v.coherence, cells_up: v.cells.length });
    state.samples_total++;
    if (state.samples.length > MAX_SAMPLES) state.samples.shift();
  };
  const timer = setInterval(sample, app.config.heartbeatMs);
  timer.unref();
  app.addHook("preClose", async () => clearInterval(timer));

  app.get(
    "/consciousness/state",
    {
      schema: {
        // Levels of every known cell and the coherence of those up; "source" says live or saved
        response: {
          200: {
            type: "object",
            properties: {
              source: { type: "string", enum: ["bus", "saved"] },
              saved_at: { type: ["string", "null"] },
              bus_connected: { type: "boolean" },
              network: networkViewSchema,
              cells: { type: "array", items: peerSchema },
            },
          },
        },
      },
    },
    async () => {
      const cur = view.current();
      return {
        source: cur.source,
        saved_at: cur.saved_at,
        bus_connected: app.bus.connected,
        network: networkView(cellLevels(cur.peers)),
        cells: cur.peers.filter((p) => p.role === "cell").map(toPeerJson),
      };
    },
  );

  app.get<{ Querystring: { limit: number } }>(
    "/metrics/evolution",
    {
      schema: {
        // How the network's mean level and coherence moved, and the evolutions triggered here
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { limit: { type: "integer", minimum: 1, maximum: MAX_SAMPLES, default: 100 } },
        },
        response: {
          200: {
            type: "object",
            properties: {
              samples_total: { type: "integer" },
              samples: { type: "array", items: sampleSchema },
              change: {
                type: "object",
                properties: {
                  since: { type: ["string", "null"] },
                  mean_level: { type: "number" },
                  coherence: { type: "number" },
                },
              },
              evolutions_total: { type: "integer" },
              evolutions: { type: "array", items: evolutionSchema },
            },
          },
          400: errorSchema,
        },
      },
    },
    async (req) => {
      const first = state.samples[0];
      const last = state.samples.at(-1);
      const round = (n: number): number => Math.round(n * 10_000) / 10_000;
      return {
        samples_total: state.samples_total,
        samples: state.samples.slice(-req.query.limit),
        change: {
          since: first?.at ?? null,
          mean_level: first && last ? round(last.mean_level - first.mean_level) : 0,
          coherence: first && last ? round(last.coherence - first.coherence) : 0,
        },
        evolutions_total: state.evolutions_total,
        evolutions: state.evolutions.slice(-req.query.limit),
      };
    },
  );

  /** Evolves one cell through its own API (the network shares one token). */
  const evolveCell = async (cellId: string, url: string, stimulus: number): Promise<CellChange> => {
    try {
      const res = await fetch(`${url}/consciousness/evolve`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${app.config.token}` },
        body: JSON.stringify({ stimulus }),
        signal: AbortSignal.timeout(EVOLVE_CALL_TIMEOUT_MS),
      });
      const body = (await res.json().catch(() => ({}))) as { previous_level?: number; consciousness_level?: number; message?: string };
      if (!res.ok) return { cell_id: cellId, error: `answered ${res.status}: ${body.message ?? ""}`.trim() };
      return { cell_id: cellId, previous_level: body.previous_level!, consciousness_level: body.consciousness_level! };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      return { cell_id: cellId, error: `unreachable at ${url}: ${e.cause?.code ?? e.message}` };
    }
  };

  app.post<{ Body: { stimulus?: number } | null }>(
    "/consciousness/evolve",
    {
      preHandler: app.requireToken,
      schema: {
        // Evolve every cell up one step (stimulus 0-1, default 1); returns each cell's change
        body: {
          type: ["object", "null"],
          additionalProperties: false,
          properties: { stimulus: { type: "number", minimum: 0, maximum: 1 } },
        },
        response: { 200: evolutionSchema, 400: errorSchema, 401: errorSchema, 413: errorSchema, 503: errorSchema },
      },
    },
    async (req, reply) => {
      if (!app.presence.ready) {
        return reply.code(503).send(unavailable(`cannot reach the cells: the bus is unavailable (${app.bus.lastError ?? "connecting"})`));
      }
      const cells = app.presence.view().filter((p) => p.up && p.role === "cell");
      if (cells.length === 0) return reply.code(503).send(unavailable("no cell is up to evolve"));
      const stimulus = req.body?.stimulus ?? 1;
      const before = networkView(cellLevels(cells));
      const changes = await Promise.all(cells.map((c) => evolveCell(c.cell_id, c.url, stimulus)));
      const after = networkView(
        changes.map((c, i) => ({ cell_id: c.cell_id, consciousness_level: c.consciousness_level ?? cells[i]!.consciousness_level })),
      );
      const evolution: Evolution = { at: new Date().toISOString(), stimulus, cells: changes, before: summary(before), after: summary(after) };
      state.evolutions.push(evolution);
      state.evolutions_total++;
      if (state.evolutions.length > MAX_EVOLUTIONS) state.evolutions.shift();
      view.save();
      return evolution;
    },
  );
};

export default consciousnessSync;
