// ai_completion: forwards a prompt to an OpenAI-compatible endpoint (AIOS_COMPLETION_URL, the
// base URL such as http://127.0.0.1:11434/v1) and returns the first choice.
import { checker } from "../../lib/json-schema.ts";
import { defineHandler, TaskError } from "../handler.ts";

interface Answer {
  model?: string;
  choices: { message: { content: string | null }; finish_reason?: string | null }[];
  usage?: Record<string, unknown>;
}
const nullableString = { type: ["string", "null"] };
const checkAnswer = checker<Answer>(
  {
    type: "object",
    required: ["choices"],
    properties: {
      model: { type: "string" },
      choices: {
        type: "array",
        minItems: 1,
        items: {
          type: "object",
          required: ["message"],
          properties: {
            message: { type: "object", required: ["content"], properties: { content: nullableString } },
            finish_reason: nullableString,
          },
        },
      },
      usage: { type: "object" },
    },
  },
  "answer",
);

interface Payload {
  prompt?: string;
  messages?: { role: "system" | "user" | "assistant"; content: string }[];
  model?: string;
  max_tokens?: number;
  temperature?: number;
}

export default defineHandler<Payload>({
  description: "Chat completion from the OpenAI-compatible endpoint at AIOS_COMPLETION_URL",
  schema: {
    type: "object",
    additionalProperties: false,
    properties: {
      prompt: { type: "string", minLength: 1, maxLength: 200_000 },
      messages: {
        type: "array",
        minItems: 1,
        maxItems: 100,
        items: {
          type: "object",
          additionalProperties: false,
          required: ["role", "content"],
          properties: { role: { enum: ["system", "user", "assistant"] }, content: { type: "string", maxLength: 200_000 } },
        },
      },
      model: { type: "string", minLength: 1, maxLength: 200 },
      max_tokens: { type: "integer", minimum: 1, maximum: 32_768 },
      temperature: { type: "number", minimum: 0, maximum: 2 },
    },
  },
  check: (p) => ((p.prompt === undefined) !== (p.messages === undefined) ? undefined : "payload: give either prompt or messages"),
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
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      answer = undefined;
    }
    const checked = checkAnswer(answer);
    if (!checked.ok) throw new TaskError("completion endpoint answered something other than an OpenAI chat completion");
    const parsed = checked.value;
    const choice = parsed.choices[0]!;
    return {
      model: parsed.model ?? model,
      completion: choice.message.content ?? "",
      finish_reason: choice.finish_reason ?? null,
      usage: parsed.usage ?? null,
    };
  },
});
