// The cell's task-worker settings (role-specific variables in AppConfig.env).
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError } from "../config.ts";
import { envInt, envSecret, envUrl } from "../organelles/env.ts";

export interface TaskWorkerConfig {
  /** Tasks this cell runs at once (AIOS_TASK_CONCURRENCY). */
  concurrency: number;
  /** Files code_analysis may read (AIOS_WORKSPACE_DIR); none when unset. */
  workspaceDir: string | undefined;
  completion: { url: string; model: string | undefined; apiKey: string | undefined } | undefined;
}

export function parseTaskWorkerConfig(env: Record<string, string | undefined>): TaskWorkerConfig {
  const concurrency = envInt(env, "AIOS_TASK_CONCURRENCY", 4, 1, 256);
  let workspaceDir: string | undefined;
  if (env.AIOS_WORKSPACE_DIR) {
    workspaceDir = resolve(env.AIOS_WORKSPACE_DIR);
    let isDir = false;
    try {
      isDir = statSync(workspaceDir).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) throw new ConfigError("AIOS_WORKSPACE_DIR", `"${env.AIOS_WORKSPACE_DIR}" is not an existing directory`);
  }
  const url = envUrl(env, "AIOS_COMPLETION_URL");
  const model = env.AIOS_COMPLETION_MODEL || undefined;
  const apiKey = envSecret(env, "AIOS_COMPLETION_API_KEY");
  if (!url && (model || apiKey)) {
    throw new ConfigError("AIOS_COMPLETION_URL", "required when AIOS_COMPLETION_MODEL or AIOS_COMPLETION_API_KEY is set");
  }
  return { concurrency, workspaceDir, completion: url ? { url, model, apiKey } : undefined };
}
