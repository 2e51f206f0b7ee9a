// vscode-bridge (port 3001): POST /vscode/request runs the request as a task on the least-loaded
// cell over the bus (aios.task.exec.<cell>) and answers with its outcome; 503 with the reason
// when no cell can take it. GET /consciousness/sync: the network's levels for the editor.
import { randomUUID } from "node:crypto";
import type { FastifyPluginAsync } from "fastify";
import { JSONCodec } from "nats";
import { Histogram } from "prom-client";
import { errorSchema, networkViewSchema } from "../../schemas.ts";
import { envInt } from "../env.ts";
import { registerOrganelleBase } from "../base.ts";
import { badRequest, unavailable } from "../../lib/http-errors.ts";
import { cellLevels } from "../../lib/presence.ts";
import { CellLoads } from "../../tasks/cell-loads.ts";
import { checkTask, TASK_TYPES } from "../../tasks/registry.ts";
import { execSubject, type Job, type JobOutcome, type JobReply } from "../../tasks/protocol.ts";
import { networkView } from "../../lib/level.ts";
import { toTask, type VscodeRequest } from "./requests.ts";

const codec = JSONCodec();

const vscodeBridge: FastifyPluginAsync = async (app) => {
  // The cell answers as a reply (allow_responses), which nats-server lets through for two minutes
  // after the request by default: a later answer is a "Publish Violation" the bridge never sees
  // (tried on nats-server 2.9.10). The job's own limit is this one, so it stays below that.
  const timeoutMs = envInt(app.config.env, "AIOS_BRIDGE_TIMEOUT_MS", 30_000, 100, 110_000);
  await registerOrganelleBase(app);
  const loads = new CellLoads(app.bus, app.presence);
  app.addHook("preClose", async () => loads.stop());
  const duration = new Histogram({
    name: "aios_bridge_request_duration_seconds",
    help: "VS Code requests, from arrival to the cell's answer, by action and outcome",
    labelNames: ["action", "status"],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [app.metrics.registry],
  });

  /** Offers the job to each candidate cell in turn, least loaded first, until one runs it. */
  const run = async (job: Job): Promise<JobOutcome | { refused: string }> => {
    const tried: string[] = [];
    for (const cell of loads.candidates().filter((c) => c.running < c.capacity)) {
      let answer: JobOutcome | JobReply;
      try {
        const subject = execSubject(cell.cell_id);
        const m = await app.bus.nc!.request(subject, app.bus.seal(subject, job), { timeout: timeoutMs });
        answer = codec.decode(m.data) as JobOutcome | JobReply;
      } catch (err) {
        const e = err as Error & { code?: string };
        if (e.code === "TIMEOUT") return { refused: `cell ${cell.cell_id} gave no answer within ${timeoutMs} ms` };
        tried.push(`${cell.cell_id}: ${e.message}`);
        continue;
      }
      if ("accepted" in answer) {
        tried.push(`${cell.cell_id}: ${answer.accepted ? "accepted" : answer.reason}`);
        continue;
      }
      return answer;
    }
    return { refused: tried.length ? `no cell took the request (${tried.join("; ")})` : loads.whyNone() };
  };

  app.post<{ Body: VscodeRequest }>(
    "/vscode/request",
    {
      preHandler: app.requireToken,
      schema: {
        // Run an editor request (ai_completion, code_analysis, http_probe, echo) on a cell
        body: {
          type: "object",
          required: ["action"],
          additionalProperties: false,
          properties: {
            action: { type: "string", minLength: 1, maxLength: 64 },
            context: { type: "object", default: {} },
            file_path: { type: "string", minLength: 1, maxLength: 4096 },
          },
        },
        response: {
          200: {
            type: "object",
            properties: {
              action: { type: "string" },
              task_id: { type: "string" },
              cell_id: { type: "string" },
              status: { type: "string" },
              result: {},
              duration_ms: { type: "number" },
            },
          },
          400: errorSchema,
          401: errorSchema,
          413: errorSchema,
          502: {
            type: "object",
            properties: { ...errorSchema.properties, cell_id: { type: "string" }, status: { type: "string" } },
          },
          503: errorSchema,
          504: errorSchema,
        },
      },
    },
    async (req, reply) => {
      const started = performance.now();
      const task = toTask(req.body);
      if ("error" in task) return reply.code(400).send(badRequest(task.error));
      const check = checkTask(task.task_type, task.payload);
      if (!check.ok) return reply.code(400).send(badRequest(check.message));
      if (!app.bus.connected || !app.bus.nc) {
        return reply.code(503).send(unavailable(`the bus is unavailable (${app.bus.lastError ?? "connecting"})`));
      }
      const job: Job = { id: randomUUID(), task_type: task.task_type, payload: check.payload, timeout_ms: timeoutMs, attempt: 1 };
      const outcome = await run(job);
      const ms = Math.round((performance.now() - started) * 100) / 100;
      if ("refused" in outcome) {
        const timedOut = outcome.refused.includes("gave no answer");
        duration.observe({ action: req.body.action, status: timedOut ? "timeout" : "unavailable" }, ms / 1000);
        return reply.code(timedOut ? 504 : 503).send({
          statusCode: timedOut ? 504 : 503,
          error: timedOut ? "Gateway Timeout" : "Service Unavailable",
          message: outcome.refused,
        });
      }
      duration.observe({ action: req.body.action, status: outcome.status }, ms / 1000);
      if (outcome.status !== "completed") {
        return reply.code(502).send({
          statusCode: 502,
          error: "Bad Gateway",
          message: `${req.body.action} ${outcome.status} on cell ${outcome.cell_id}: ${outcome.error ?? "no reason given"}`,
          cell_id: outcome.cell_id,
          status: outcome.status,
        });
      }
      return { action: req.body.action, task_id: job.id, cell_id: outcome.cell_id, status: outcome.status, result: outcome.result, duration_ms: ms };
    },
  );

  app.get(
    "/consciousness/sync",
    {
      schema: {
        // The network's consciousness levels and coherence, and the actions this bridge offers
        response: {
          200: {
            type: "object",
            properties: {
              bridge_id: { type: "string" },
              bus_connected: { type: "boolean" },
              network: networkViewSchema,
              cells_ready: { type: "integer" },
              actions: { type: "array", items: { type: "string" } },
            },
          },
        },
      },
    },
    async () => ({
      bridge_id: app.config.cellId,
      bus_connected: app.bus.connected,
      network: networkView(cellLevels(app.presence.view())),
      cells_ready: loads.candidates().length,
      actions: TASK_TYPES,
    }),
  );
};

export default vscodeBridge;
