// ai_completion: forwards a prompt to an OpenAI-compatible endpoint (AIOS_COMPLETION_URL, the
// base URL such as http://127.0.0.1:11434/v1) and returns the first choice.
import { z } from "zod";
import { defineHandler, TaskError } from "../handler.ts";

const answerSchema = z.object({
  model: z.string().optional(),
  choices: z
    .array(z.object({ message: z.object({ content: z.string().nullable() }), finish_reason: z.string().nullable().optional() }))
    .min(1),
  usage: z.record(z.string(), z.unknown()).optional(),
});

export default defineHandler({
  description: "Chat completion from the OpenAI-compatible endpoint at AIOS_COMPLETION_URL",
  schema: z
    .strictObject({
      prompt: z.string().min(1).max(200_000).optional(),
      messages: z
        .array(z.strictObject({ role: z.enum(["system", "user", "assistant"]), content: z.string().max(200_000) }))
        .min(1)
        .max(100)
        .optional(),
      model: z.string().min(1).max(200).optional(),
      max_tokens: z.number().int().min(1).max(32_768).optional(),
      temperature: z.number().min(0).max(2).optional(),
    })
    .refine((p) => (p.prompt === undefined) !== (p.messages === undefined), {
      message: "give either prompt or messages",
    }),
  async run(p, ctx) {
    const endpoint = ctx.config.completion;
    if (!endpoint) throw new TaskError(`no completion endpoint configured: set AIOS_COMPLETION_URL on cell ${ctx.cellId}`);
    const model = p.model ?? endpoint.model;
    if (!model) throw new TaskError("no model: give payload.model or set AIOS_COMPLETION_MODEL on the cell");
    const url = `${endpoint.url}/chat/completions`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {}),
        },
        body: JSON.stringify({
          model,
          messages: p.messages ?? [{ role: "user", content: p.prompt }],
          ...(p.max_tokens !== undefined ? { max_tokens: p.max_tokens } : {}),
          ...(p.temperature !== undefined ? { temperature: p.temperature } : {}),
        }),
        signal: ctx.signal,
      });
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      const e = err as Error & { cause?: { code?: string } };
      throw new TaskError(`completion endpoint ${endpoint.url} unreachable: ${e.cause?.code ?? e.message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new TaskError(`completion endpoint answered ${res.status}: ${text.slice(0, 300)}`);
    let parsed;
    try {
      parsed = answerSchema.parse(JSON.parse(text));
    } catch {
      throw new TaskError("completion endpoint answered something other than an OpenAI chat completion");
    }
    const choice = parsed.choices[0]!;
    return {
      model: parsed.model ?? model,
      completion: choice.message.content ?? "",
      finish_reason: choice.finish_reason ?? null,
      usage: parsed.usage ?? null,
    };
  },
});
