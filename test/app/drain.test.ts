// Stopping a cell behind a load balancer: with AIOS_DRAIN_MS, SIGTERM first turns /health into
// 503 "draining" (the balancer's health check takes the cell out) while every route is still
// served, then the service closes and exits 0. Without it, SIGTERM closes at once.
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/ports.ts";
import { startService, type ServiceHandle } from "../helpers/service.ts";

let service: ServiceHandle | undefined;
afterEach(async () => service?.kill("SIGKILL"));

const exited = (s: ServiceHandle): Promise<number | null> =>
  s.proc.exitCode !== null ? Promise.resolve(s.proc.exitCode) : new Promise((r) => s.proc.once("exit", (code) => r(code)));

describe("SIGTERM with a drain period", () => {
  it("answers /health 503 draining and keeps serving until the drain ends, then exits 0", async () => {
    service = await startService({ AIOS_ROLE: "cell", AIOS_CELL_ID: "drained", AIOS_DRAIN_MS: "3000" });
    expect((await fetch(`${service.url}/health`)).status).toBe(200);
    const exit = exited(service);
    service.proc.kill("SIGTERM");
    const draining = await waitFor("/health to say draining", async () => {
      const res = await fetch(`${service!.url}/health`);
      return res.status === 503 && ((await res.json()) as { status: string; reasons: string[] });
    });
    expect(draining).toMatchObject({ status: "draining", reasons: expect.arrayContaining(["stopping"]) as unknown });
    expect((await fetch(`${service.url}/metrics`)).status).toBe(200);
    expect(service.proc.exitCode).toBeNull();
    expect(await exit).toBe(0);
    await expect(fetch(`${service.url}/health`)).rejects.toThrow();
  });

  it("without AIOS_DRAIN_MS closes at once on SIGTERM and exits 0", async () => {
    service = await startService({ AIOS_ROLE: "cell", AIOS_CELL_ID: "undrained" });
    const exit = exited(service);
    service.proc.kill("SIGTERM");
    expect(await exit).toBe(0);
    await expect(fetch(`${service.url}/health`)).rejects.toThrow();
  });
});
