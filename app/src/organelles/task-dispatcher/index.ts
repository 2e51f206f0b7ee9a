// task-dispatcher (port 3003): POST /task/submit, GET /task/:id/status, GET /dispatcher/stats,
// GET /task/types. One dispatcher per network (it owns the results consumer).
import type { FastifyPluginAsync } from "fastify";
import { Counter, Gauge, Histogram } from "prom-client";
import { errorSchema } from "../../schemas.ts";
import { envInt } from "../env.ts";
import { registerOrganelleBase } from "../base.ts";
import { badRequest, notFound, unavailable } from "../../lib/http-errors.ts";
import { CellLoads } from "../../tasks/cell-loads.ts";
import { checkTask, TASK_HANDLERS, TASK_TYPES } from "../../tasks/registry.ts";
import { TASK_STATUSES } from "../../tasks/protocol.ts";
import { Dispatcher, Unavailable } from "./dispatcher.ts";
import { PRIORITY_NAMES } from "./record.ts";

interface SubmitBody {
  task_type: string;
  priority?: number | string;
  payload?: unknown;
  timeout_seconds?: number;
}

const taskSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    task_type: { type: "string" },
    priority: { type: "integer" },
    payload: {},
    timeout_seconds: { type: "integer" },
    status: { type: "string", enum: [...TASK_STATUSES] },
    attempts: { type: "integer" },
    submitted_at: { type: "string" },
    started_at: { type: ["string", "null"] },
    finished_at: { type: ["string", "null"] },
    assigned_to: { type: ["string", "null"] },
    result: {},
    error: { type: ["string", "null"] },
    reassignments: {
      type: "array",
      items: { type: "object", properties: { from: { type: "string" }, at: { type: "string" }, reason: { type: "string" } } },
    },
  },
} as const;

const taskDispatcher: FastifyPluginAsync = async (app) => {
  const maxAttempts = envInt(app.config.env, "AIOS_TASK_MAX_ATTEMPTS", 5, 1, 100);
  await registerOrganelleBase(app);
  const registers = [app.metrics.registry];
  const submitted = new Counter({ name: "aios_dispatcher_submitted_total", help: "Tasks accepted", labelNames: ["task_type"], registers });
  const finished = new Counter({
    name: "aios_dispatcher_finished_total",
    help: "Tasks finished, by outcome",
    labelNames: ["task_type", "status"],
    registers,
  });
  const startLatency = new Histogram({
    name: "aios_dispatcher_start_latency_seconds",
    help: "Time from submit to a cell starting the task",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const byStatus = new Gauge({ name: "aios_dispatcher_tasks", help: "Known tasks by status", labelNames: ["status"], registers });

  const loads = new CellLoads(app.bus, app.presence);
  const dispatcher = new Dispatcher({
    bus: app.bus,
    presence: app.presence,
    loads,
    maxAttempts,
    log: app.log,
    onFinish: (r) => finished.inc({ task_type: r.task_type, status: r.status }),
    onStart: (_r, ms) => startLatency.observe(ms / 1000),
  });
  app.metrics.beforeScrape.push(() => {
    const { tasks } = dispatcher.stats();
    for (const s of TASK_STATUSES) byStatus.set({ status: s }, tasks[s]);
  });
  app.healthChecks.push(() => (dispatcher.ready ? undefined : "task records not loaded from the bus yet"));
  app.addHook("preClose", async () => {
    dispatcher.stop();
    loads.stop();
  });

  app.post<{ Body: SubmitBody }>(
    "/task/submit",
    {
      preHandler: app.requireToken,
      schema: {
        // Queue a task; it runs on the least-loaded healthy cell, higher priority first
        body: {
          type: "object",
          required: ["task_type"],
          additionalProperties: false,
          properties: {
            task_type: { type: "string", minLength: 1, maxLength: 64 },
            priority: {
              anyOf: [
                { type: "integer", minimum: 0, maximum: 10 },
                { type: "string", enum: Object.keys(PRIORITY_NAMES) },
              ],
              default: "normal",
            },
            payload: { type: "object", default: {} },
            timeout_seconds: { type: "integer", minimum: 1, maximum: 86_400, default: 300 },
          },
        },
        response: {
          202: {
            type: "object",
            properties: {
              task_id: { type: "string" },
              status: { type: "string" },
              priority: { type: "integer" },
              status_url: { type: "string" },
            },
          },
          400: errorSchema,
          401: errorSchema,
          413: errorSchema,
          503: errorSchema,
        },
      },
    },
    async (req, reply) => {
      const { task_type, payload, timeout_seconds = 300 } = req.body;
      const check = checkTask(task_type, payload);
      if (!check.ok) return reply.code(400).send(badRequest(check.message));
      const raw = req.body.priority ?? "normal";
      const priority = typeof raw === "number" ? raw : PRIORITY_NAMES[raw]!;
      try {
        const r = await dispatcher.submit({ task_type, priority, payload: check.payload, timeout_seconds });
        submitted.inc({ task_type });
        return reply.code(202).send({ task_id: r.id, status: r.status, priority, status_url: `/task/${r.id}/status` });
      } catch (err) {
        if (err instanceof Unavailable) return reply.code(503).send(unavailable(err.message));
        throw err;
      }
    },
  );

  app.get<{ Params: { id: string } }>(
    "/task/:id/status",
    {
      schema: {
        // A task's status, where it runs or ran, and its result or error
        params: { type: "object", properties: { id: { type: "string", maxLength: 64 } } },
        response: { 200: taskSchema, 404: errorSchema, 400: errorSchema, 503: errorSchema },
      },
    },
    async (req, reply) => {
      if (!dispatcher.loaded) {
        return reply.code(503).send(unavailable(`task records not loaded yet (${app.bus.lastError ?? "loading"})`));
      }
      const r = dispatcher.get(req.params.id);
      if (!r) return reply.code(404).send(notFound(`unknown task "${req.params.id}"`));
      return r;
    },
  );

  app.get(
    "/dispatcher/stats",
    {
      schema: {
        // Counts by status, totals, submit-to-start latency, and the cells taking tasks
        response: {
          200: {
            type: "object",
            properties: {
              dispatcher_id: { type: "string" },
              bus_connected: { type: "boolean" },
              ready: { type: "boolean" },
              tasks: {
                type: "object",
                properties: Object.fromEntries([...TASK_STATUSES, "total"].map((s) => [s, { type: "integer" }])),
              },
              totals: {
                type: "object",
                properties: { submitted: { type: "integer" }, finished: { type: "integer" }, reassigned: { type: "integer" } },
              },
              oldest_queued_age_ms: { type: ["number", "null"] },
              submit_to_start_ms: {
                type: "object",
                properties: { samples: { type: "integer" }, p50: { type: ["number", "null"] }, p99: { type: ["number", "null"] } },
              },
              cells: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    cell_id: { type: "string" },
                    running: { type: "integer" },
                    capacity: { type: "integer" },
                    dispatched_running: { type: "integer" },
                  },
                },
              },
            },
          },
        },
      },
    },
    async () => ({ dispatcher_id: app.config.cellId, bus_connected: app.bus.connected, ready: dispatcher.ready, ...dispatcher.stats() }),
  );

  const types = TASK_TYPES.map((t) => ({
    task_type: t,
    description: TASK_HANDLERS[t]!.description,
    payload_schema: TASK_HANDLERS[t]!.schema,
  }));
  app.get(
    "/task/types",
    {
      schema: {
        // The task types cells run, each with the JSON schema of its payload
        response: {
          200: {
            type: "object",
            properties: {
              task_types: {
                type: "array",
                items: {
                  type: "object",
                  properties: { task_type: { type: "string" }, description: { type: "string" }, payload_schema: {} },
                },
              },
            },
          },
        },
      },
    },
    async () => ({ task_types: types }),
  );
};

export default taskDispatcher;
