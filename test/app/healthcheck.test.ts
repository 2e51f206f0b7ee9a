// The image's health probe (app/src/healthcheck.ts) against real sockets: healthy only when
// /health answers 2xx on AIOS_PORT, and a clear reason on stderr otherwise.
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../helpers/ports.ts";

const PROBE = resolve(import.meta.dirname, "../../app/src/healthcheck.ts");
const run = promisify(execFile);

async function probe(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(process.execPath, [PROBE], { env: { PATH: process.env.PATH ?? "", ...env } });
    return { code: 0, stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe("healthcheck", () => {
  let server: Server | undefined;
  const paths: string[] = [];
  const serve = async (status: number): Promise<string> => {
    server = createServer((req, res) => {
      paths.push(req.url ?? "");
      res.writeHead(status).end("{}");
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    return String((server.address() as AddressInfo).port);
  };
  afterEach(async () => {
    await new Promise((r) => server?.close(r) ?? r(undefined));
    server = undefined;
    paths.length = 0;
  });

  it("passes when /health on AIOS_PORT answers 200", async () => {
    const port = await serve(200);
    expect(await probe({ AIOS_PORT: port, AIOS_ROLE: "vscode-bridge" })).toEqual({ code: 0, stderr: "" });
    expect(paths).toEqual(["/health"]);
  });

  it("fails when /health answers an error", async () => {
    const port = await serve(503);
    expect((await probe({ AIOS_PORT: port })).code).toBe(1);
  });

  it("fails and names the address when nothing listens", async () => {
    const port = String(await freePort());
    const { code, stderr } = await probe({ AIOS_PORT: port });
    expect(code).toBe(1);
    expect(stderr).toContain(`http://127.0.0.1:${port}/health`);
  });

  it("with AIOS_ROLES, passes only while every hosted role answers, and names the ones that do not", async () => {
    const ok = await serve(200);
    const down = String(await freePort());
    const env = { AIOS_ROLES: "vscode-bridge,task-dispatcher", AIOS_VSCODE_BRIDGE__PORT: ok };
    expect(await probe({ ...env, AIOS_TASK_DISPATCHER__PORT: ok })).toEqual({ code: 0, stderr: "" });
    const { code, stderr } = await probe({ ...env, AIOS_TASK_DISPATCHER__PORT: down });
    expect(code).toBe(1);
    expect(stderr).toContain(`task-dispatcher http://127.0.0.1:${down}/health`);
    expect(stderr).not.toContain("vscode-bridge");
  });

  it("fails with the variables to set when it has neither a port nor a known role", async () => {
    const { code, stderr } = await probe({ AIOS_ROLE: "toaster" });
    expect(code).toBe(1);
    expect(stderr).toContain("AIOS_PORT");
    expect(stderr).toContain("AIOS_ROLE");
  });
});
