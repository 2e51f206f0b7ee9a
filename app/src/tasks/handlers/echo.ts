// echo: returns its message, optionally after a delay (a stand-in for work of a known length).
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { defineHandler } from "../handler.ts";

export default defineHandler({
  description: "Returns payload.message (after payload.delay_ms, if given)",
  schema: z.strictObject({
    message: z.unknown().optional(),
    delay_ms: z.number().int().min(0).max(600_000).optional(),
  }),
  async run(p, ctx) {
    if (p.delay_ms) await sleep(p.delay_ms, undefined, { signal: ctx.signal });
    return { echo: p.message ?? null, cell_id: ctx.cellId };
  },
});
