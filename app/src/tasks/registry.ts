// The cell's task handlers, by task_type. Each has a JSON Schema for its payload: the dispatcher
// and the bridge check a payload at submit time, the cell checks it again before running it.
import { checker, type Checked } from "../lib/json-schema.ts";
import echo from "./handlers/echo.ts";
import codeAnalysis from "./handlers/code-analysis.ts";
import httpProbe from "./handlers/http-probe.ts";
import aiCompletion from "./handlers/ai-completion.ts";
import type { TaskHandler } from "./handler.ts";

export const TASK_HANDLERS: Record<string, TaskHandler> = {
  echo,
  code_analysis: codeAnalysis,
  http_probe: httpProbe,
  ai_completion: aiCompletion,
};

export const TASK_TYPES = Object.keys(TASK_HANDLERS);

export type PayloadCheck = { ok: true; payload: unknown } | { ok: false; message: string };

const CHECKERS: Record<string, (payload: unknown) => Checked<unknown>> = Object.fromEntries(
  Object.entries(TASK_HANDLERS).map(([type, h]) => [type, checker(h.schema, "payload")]),
);

/** Checks a task type and its payload; the message names the bad field or lists the known types. */
export function checkTask(taskType: string, payload: unknown): PayloadCheck {
  const handler = Object.hasOwn(TASK_HANDLERS, taskType) ? TASK_HANDLERS[taskType] : undefined;
  if (!handler) {
    return { ok: false, message: `task_type: unknown "${taskType}"; known task types: ${TASK_TYPES.join(", ")}` };
  }
  const checked = CHECKERS[taskType]!(payload ?? {});
  if (!checked.ok) return checked;
  const wrong = handler.check?.(checked.value as never);
  return wrong ? { ok: false, message: wrong } : { ok: true, payload: checked.value };
}
