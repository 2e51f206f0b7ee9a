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

const handlerFor = (taskType: unknown): TaskHandler | undefined =>
  typeof taskType === "string" && Object.hasOwn(TASK_HANDLERS, taskType) ? TASK_HANDLERS[taskType] : undefined;

/**
 * The original design's example submits {"task_type": "complex", "payload": {"operation":
 * "code_analysis", "files": ["*.py"]}}. Tasks here are typed by what they do and read one file,
 * so that shape gets the exact call to send instead.
 */
function complexHint(payload: unknown): string {
  const { operation, files, ...rest } = (payload ?? {}) as Record<string, unknown>;
  const type = handlerFor(operation) ? (operation as string) : "code_analysis";
  const example: Record<string, unknown> = type === "code_analysis" && !("code" in rest) ? { file_path: "src/app.py", ...rest } : rest;
  return (
    `task_type: "complex" is not a task type: put the operation in task_type, e.g. ` +
    `{"task_type":"${type}","priority":"high","payload":${JSON.stringify(example)},"timeout_seconds":300}` +
    (files !== undefined
      ? "; payload.files (globs) is not supported: send one code_analysis task per file, with payload.file_path relative to the cell's AIOS_WORKSPACE_DIR, or payload.code"
      : "") +
    `; known task types: ${TASK_TYPES.join(", ")}`
  );
}

/** Checks a task type and its payload; the message names the bad field or lists the known types. */
export function checkTask(taskType: string, payload: unknown): PayloadCheck {
  const handler = handlerFor(taskType);
  if (!handler) {
    if (taskType === "complex") return { ok: false, message: complexHint(payload) };
    return { ok: false, message: `task_type: unknown "${taskType}"; known task types: ${TASK_TYPES.join(", ")}` };
  }
  const checked = CHECKERS[taskType]!(payload ?? {});
  if (!checked.ok) return checked;
  const wrong = handler.check?.(checked.value as never);
  return wrong ? { ok: false, message: wrong } : { ok: true, payload: checked.value };
}
