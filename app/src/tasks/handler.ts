import type { z } from "zod";
import type { TaskWorkerConfig } from "./config.ts";

export interface TaskContext {
  /** Aborted when the task times out, is cancelled, or the cell stops. */
  signal: AbortSignal;
  cellId: string;
  config: TaskWorkerConfig;
}

export interface TaskHandler {
  description: string;
  schema: z.ZodType;
  run(payload: never, ctx: TaskContext): Promise<unknown>;
}

/** A failure to report as the task's error, worded for the person who submitted it. */
export class TaskError extends Error {
  override name = "TaskError";
}

/** Types `run` against the handler's own schema while the registry holds every handler alike. */
export function defineHandler<S extends z.ZodType>(h: {
  description: string;
  schema: S;
  run(payload: z.output<S>, ctx: TaskContext): Promise<unknown>;
}): TaskHandler {
  return h as TaskHandler;
}
