// code_analysis: language, line counts, functions and a one-line summary, for submitted code or
// for a file under the cell's workspace (AIOS_WORKSPACE_DIR; nothing outside it is readable).
import { readFile, realpath, stat } from "node:fs/promises";
import { resolve, sep } from "node:path";
import { defineHandler, TaskError } from "../handler.ts";
import { countLines, detectLanguage, findFunctions, KNOWN_LANGUAGES } from "./code-languages.ts";

const MAX_FILE_BYTES = 2 * 1024 * 1024;

async function readWorkspaceFile(workspace: string | undefined, filePath: string): Promise<string> {
  if (!workspace) throw new TaskError("file_path given but this cell has no workspace: set AIOS_WORKSPACE_DIR, or send the code");
  const root = await realpath(workspace);
  let full: string;
  try {
    full = await realpath(resolve(root, filePath));
  } catch {
    throw new TaskError(`file_path: "${filePath}" does not exist in the workspace`);
  }
  if (!full.startsWith(root + sep)) throw new TaskError(`file_path: "${filePath}" is outside the workspace`);
  const info = await stat(full);
  if (!info.isFile()) throw new TaskError(`file_path: "${filePath}" is not a file`);
  if (info.size > MAX_FILE_BYTES) throw new TaskError(`file_path: "${filePath}" is larger than ${MAX_FILE_BYTES} bytes`);
  return readFile(full, "utf8");
}

export default defineHandler<{ code?: string; file_path?: string; language?: string }>({
  description: "Language, lines, functions and a summary of payload.code or of payload.file_path in the workspace",
  schema: {
    type: "object",
    additionalProperties: false,
    properties: {
      code: { type: "string", maxLength: MAX_FILE_BYTES },
      file_path: { type: "string", minLength: 1, maxLength: 4096 },
      language: { enum: KNOWN_LANGUAGES },
    },
  },
  check: (p) => (p.code !== undefined || p.file_path !== undefined ? undefined : "payload: give code, or a file_path under the cell's workspace"),
  async run(p, ctx) {
    const code = p.code ?? (await readWorkspaceFile(ctx.config.workspaceDir, p.file_path!));
    const language = p.language ?? detectLanguage(code, p.file_path);
    const counts = countLines(code);
    const functions = findFunctions(code, language);
    const shown = functions.slice(0, 5).join(", ") + (functions.length > 5 ? `, and ${functions.length - 5} more` : "");
    const summary =
      `${counts.lines} lines of ${language} (${counts.lines - counts.blank_lines - counts.comment_lines} code, ` +
      `${counts.comment_lines} comment, ${counts.blank_lines} blank); ` +
      (functions.length ? `${functions.length} function${functions.length === 1 ? "" : "s"}: ${shown}` : "no functions found");
    return { ...(p.file_path ? { file_path: p.file_path } : {}), language, ...counts, functions, summary };
  },
});
