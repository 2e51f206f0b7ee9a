import type { TaskWorkerConfig } from "./config.ts";

export interface TaskContext {
  /** Aborted when the task times out, is cancelled, or the cell stops. */
  signal: AbortSignal;
  cellId: string;
  config: TaskWorkerConfig;
}

/** A JSON Schema (draft 7, as ajv reads it) for a handler's payload; published by the dispatcher. */
export type PayloadSchema = Record<string, unknown>;

export interface TaskHandler {
  description: string;
  schema: PayloadSchema;
  /** A rule across fields that the schema does not say well; returns what is wrong, if anything. */
  check?(payload: never): string | undefined;
  run(payload: never, ctx: TaskContext): Promise<unknown>;
}

/** A failure to report as the task's error, worded for the person who submitted it. */
export class TaskError extends Error {
  override name = "TaskError";
}

/**
 * Types `run` against the handler's payload type `P` while the registry holds every handler
 * alike. `P` is written next to the schema it describes (the registry validates the schema).
 */
export function defineHandler<P>(h: {
  description: string;
  schema: PayloadSchema;
  check?(payload: P): string | undefined;
  run(payload: P, ctx: TaskContext): Promise<unknown>;
}): TaskHandler {
  return h as TaskHandler;
}
