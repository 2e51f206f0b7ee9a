import type { TaskStatus } from "../../tasks/protocol.ts";

/** A task as the dispatcher stores it (KV aios_tasks, keyed by id) and serves it. */
export interface TaskRecord {
  id: string;
  task_type: string;
  priority: number;
  payload: unknown;
  timeout_seconds: number;
  status: TaskStatus;
  /** Submission order, for first-in first-out within a priority. */
  seq: number;
  attempts: number;
  submitted_at: string;
  started_at: string | null;
  finished_at: string | null;
  assigned_to: string | null;
  result?: unknown;
  error: string | null;
  reassignments: { from: string; at: string; reason: string }[];
}

export const isFinished = (s: TaskStatus): boolean => s === "completed" || s === "failed" || s === "timed_out";

export const deadlineOf = (r: TaskRecord): number => Date.parse(r.submitted_at) + r.timeout_seconds * 1000;

export const PRIORITY_NAMES: Record<string, number> = { low: 1, normal: 5, high: 8, critical: 10 };
