// The cell's task handlers and their checks, called directly (no bus).
import { describe, expect, it } from "vitest";
import { createServer } from "node:http";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkTask, TASK_HANDLERS } from "../../app/src/tasks/registry.ts";
import { parseTaskWorkerConfig, type TaskWorkerConfig } from "../../app/src/tasks/config.ts";
import { TaskRunner } from "../../app/src/tasks/runner.ts";
import { toTask } from "../../app/src/organelles/vscode-bridge/requests.ts";
import { ConfigError } from "../../app/src/config.ts";

const noConfig: TaskWorkerConfig = { concurrency: 2, workspaceDir: undefined, completion: undefined };

async function run(taskType: string, payload: unknown, config = noConfig) {
  const check = checkTask(taskType, payload);
  if (!check.ok) throw new Error(check.message);
  return TASK_HANDLERS[taskType]!.run(check.payload as never, { signal: new AbortController().signal, cellId: "t", config });
}

describe("task handlers", () => {
  it("code_analysis finds the language, lines and functions", async () => {
    const go = "package main\n\n// entry\nfunc main() {}\nfunc (s *S) Close() error { return nil }\n";
    expect(await run("code_analysis", { code: go })).toMatchObject({
      language: "go",
      lines: 5,
      blank_lines: 1,
      comment_lines: 1,
      functions: ["main", "Close"],
      summary: "5 lines of go (3 code, 1 comment, 1 blank); 2 functions: main, Close",
    });
    const sh = await run("code_analysis", { code: "#!/bin/sh\nbackup() {\n  tar c .\n}\n" });
    expect(sh).toMatchObject({ language: "shell", functions: ["backup"] });
  });

  it("code_analysis reads files inside the workspace only", async () => {
    const ws = mkdtempSync(join(tmpdir(), "aios-ws-"));
    mkdirSync(join(ws, "src"));
    writeFileSync(join(ws, "src", "a.rs"), "fn main() {\n    let x = 1;\n}\n");
    const config = { ...noConfig, workspaceDir: ws };
    expect(await run("code_analysis", { file_path: "src/a.rs" }, config)).toMatchObject({ language: "rust", functions: ["main"] });
    await expect(run("code_analysis", { file_path: "../../etc/hostname" }, config)).rejects.toThrow(/outside the workspace|does not exist/);
    await expect(run("code_analysis", { file_path: "src" }, config)).rejects.toThrow('file_path: "src" is not a file');
    await expect(run("code_analysis", { file_path: "src/a.rs" })).rejects.toThrow(/no workspace: set AIOS_WORKSPACE_DIR/);
  });

  it("http_probe reports reachability and latency", async () => {
    const server = createServer((_req, res) => res.writeHead(204).end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    expect(await run("http_probe", { url })).toMatchObject({ url, reachable: true, status_code: 204 });
    server.close();
    await new Promise((r) => server.once("close", r));
    expect(await run("http_probe", { url })).toMatchObject({ reachable: false, error: "ECONNREFUSED" });
  });

  it("ai_completion fails clearly when no endpoint is configured", async () => {
    await expect(run("ai_completion", { prompt: "hi" })).rejects.toThrow("no completion endpoint configured: set AIOS_COMPLETION_URL on cell t");
  });

  it("a payload is checked against its handler's schema, naming the field", () => {
    expect(checkTask("echo", { delay_ms: -1 })).toMatchObject({ ok: false, message: expect.stringMatching(/^payload\.delay_ms: /) });
    expect(checkTask("ai_completion", { prompt: "a", messages: [] })).toMatchObject({ ok: false });
    expect(checkTask("code_analysis", {})).toEqual({ ok: false, message: "payload: give code, or a file_path under the cell's workspace" });
    expect(checkTask("toString", {})).toMatchObject({ ok: false, message: expect.stringMatching(/known task types: echo/) });
    expect(checkTask("echo", { mesage: "typo" })).toEqual({ ok: false, message: 'payload: unknown field "mesage"' });
    expect(checkTask("ai_completion", { messages: [{ role: "robot", content: "x" }] })).toEqual({
      ok: false,
      message: 'payload.messages[0].role: must be one of "system", "user", "assistant"',
    });
    expect(checkTask("ai_completion", { prompt: "a", messages: [{ role: "user", content: "b" }] })).toEqual({ ok: false, message: "payload: give either prompt or messages" });
    expect(checkTask("http_probe", { url: "ftp://example.test/" })).toMatchObject({ ok: false, message: expect.stringMatching(/^payload\.url: /) });
    expect(checkTask("http_probe", { url: "http://exa mple.test/" })).toMatchObject({ ok: false, message: expect.stringMatching(/^payload\.url: /) });
  });

  it("a checked payload gets its schema's defaults, and the submitted object is left as it was", () => {
    const submitted = { url: "http://127.0.0.1:9/" };
    expect(checkTask("http_probe", submitted)).toEqual({ ok: true, payload: { url: "http://127.0.0.1:9/", method: "GET", timeout_ms: 5000 } });
    expect(submitted).toEqual({ url: "http://127.0.0.1:9/" });
  });

  it("the runner stops a task at its timeout and refuses work beyond its capacity", async () => {
    const runner = new TaskRunner("t", { ...noConfig, concurrency: 1 });
    const started = runner.start({ id: "1", task_type: "echo", payload: { delay_ms: 60_000 }, timeout_ms: 50, attempt: 1 });
    expect(runner.start({ id: "2", task_type: "echo", payload: {}, timeout_ms: 1000, attempt: 1 })).toEqual({
      refused: "cell t is at capacity (1 tasks running)",
    });
    expect("done" in started && (await started.done)).toMatchObject({ id: "1", status: "timed_out" });
    expect(runner.ids).toEqual([]);
  });
});

describe("task worker configuration", () => {
  it.each([
    [{ AIOS_TASK_CONCURRENCY: "0" }, "AIOS_TASK_CONCURRENCY", /integer from 1 to 256/],
    [{ AIOS_WORKSPACE_DIR: "/no/such/dir" }, "AIOS_WORKSPACE_DIR", /not an existing directory/],
    [{ AIOS_COMPLETION_URL: "ftp://x" }, "AIOS_COMPLETION_URL", /http\(s\) URL/],
    [{ AIOS_COMPLETION_MODEL: "m" }, "AIOS_COMPLETION_URL", /required when/],
  ])("rejects %j naming %s", (env, variable, reason) => {
    try {
      parseTaskWorkerConfig(env);
      throw new Error("expected a ConfigError");
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).variable).toBe(variable);
      expect((err as Error).message).toMatch(reason);
    }
  });
});

describe("vscode requests as tasks", () => {
  it("turns a completion request into a prompt up to the cursor", () => {
    expect(toTask({ action: "ai_completion", context: { code: "def hello(): pass", cursor: 9 }, file_path: "e.py" })).toEqual({
      task_type: "ai_completion",
      payload: { prompt: "Continue this code from e.py at the cursor. Answer with the inserted code only.\n\ndef hello" },
    });
  });
});
