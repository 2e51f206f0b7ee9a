// echo: returns its message, optionally after a delay (a stand-in for work of a known length).
import { setTimeout as sleep } from "node:timers/promises";
import { defineHandler } from "../handler.ts";

export default defineHandler<{ message?: unknown; delay_ms?: number }>({
  description: "Returns payload.message (after payload.delay_ms, if given)",
  schema: {
    type: "object",
    additionalProperties: false,
    properties: {
      message: {},
      delay_ms: { type: "integer", minimum: 0, maximum: 600_000 },
    },
  },
  async run(p, ctx) {
    if (p.delay_ms) await sleep(p.delay_ms, undefined, { signal: ctx.signal });
    return { echo: p.message ?? null, cell_id: ctx.cellId };
  },
});
