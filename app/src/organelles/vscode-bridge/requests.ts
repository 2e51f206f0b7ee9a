// How a VS Code request ({action, context, file_path}) becomes a task for a cell.
import { TASK_TYPES } from "../../tasks/registry.ts";

export interface VscodeRequest {
  action: string;
  context?: Record<string, unknown>;
  file_path?: string;
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** The task type and payload for a request, or a reason it cannot be one. */
export function toTask(req: VscodeRequest): { task_type: string; payload: Record<string, unknown> } | { error: string } {
  const ctx = req.context ?? {};
  const file = req.file_path;
  switch (req.action) {
    case "ai_completion": {
      const code = str(ctx.code);
      const prompt = str(ctx.prompt);
      if (prompt) return { task_type: "ai_completion", payload: { prompt } };
      if (code === undefined) return { error: "context.code or context.prompt is required for ai_completion" };
      const cursor = typeof ctx.cursor === "number" ? Math.max(0, Math.min(code.length, Math.floor(ctx.cursor))) : code.length;
      const where = file ? ` from ${file}` : "";
      return {
        task_type: "ai_completion",
        payload: { prompt: `Continue this code${where} at the cursor. Answer with the inserted code only.\n\n${code.slice(0, cursor)}` },
      };
    }
    case "code_analysis": {
      const code = str(ctx.code);
      return { task_type: "code_analysis", payload: { ...(code !== undefined ? { code } : {}), ...(file ? { file_path: file } : {}) } };
    }
    case "http_probe":
      return { task_type: "http_probe", payload: { url: ctx.url } };
    case "echo":
      return { task_type: "echo", payload: { message: ctx } };
    default:
      return { error: `action: unknown "${req.action}"; known actions: ${TASK_TYPES.join(", ")}` };
  }
}
