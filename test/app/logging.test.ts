// What a service logs: its own events and every failed (5xx) request at any level, one line per
// request only when debugging. Fastify gets no logger of its own below debug (cheaper requests),
// so these check that nothing an operator needs went with it.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../app/src/app.ts";
import { loadConfig } from "../../app/src/config.ts";
import { waitFor } from "../helpers/ports.ts";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import { TEST_TOKEN } from "../helpers/service.ts";

interface Line {
  level: number;
  msg: string;
  err?: { message: string };
  req?: { url: string };
}

describe("service logs", () => {
  let nats: NatsHandle;
  let app: FastifyInstance | undefined;
  beforeAll(async () => {
    nats = await startNats();
  });
  afterAll(async () => {
    await nats?.dispose();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  /** A cell on a real bus, logging JSON lines into `lines`. */
  const cell = async (level: string, lines: Line[]): Promise<FastifyInstance> => {
    const config = loadConfig({
      AIOS_ROLE: "cell",
      AIOS_CELL_ID: "logged",
      AIOS_DEVICE: "desktop",
      AIOS_TOKEN: TEST_TOKEN,
      AIOS_DATA_DIR: mkdtempSync(join(tmpdir(), "aios-log-")),
      AIOS_NATS_URLS: nats.url,
    });
    const destination = { write: (s: string) => void lines.push(JSON.parse(s) as Line) };
    app = await buildApp({ config, logger: { level, destination } });
    app.get("/boom", async () => {
      throw new Error("disk on fire");
    });
    await app.ready();
    return app;
  };

  it("logs the app's own events and a failed request, but not every request, at info", async () => {
    const lines: Line[] = [];
    const a = await cell("info", lines);
    // the bus warning comes from the app (app.log), not from a request
    // an event of the app's own (app.log), not of a request
    await waitFor("the bus connection's log line", () => lines.some((l) => l.level === 30 && l.msg.startsWith("connected to the bus at")));
    const before = lines.length;
    for (let i = 0; i < 5; i++) expect((await a.inject("/health")).statusCode).toBe(200);
    expect(lines.length).toBe(before);

    const boom = await a.inject("/boom");
    expect(boom.statusCode).toBe(500);
    const failed = lines.find((l) => l.level === 50);
    expect(failed?.msg).toBe("GET /boom failed");
    expect(failed?.err?.message).toBe("disk on fire");
  });

  it("logs every request when debugging", async () => {
    const lines: Line[] = [];
    const a = await cell("debug", lines);
    expect((await a.inject("/health")).statusCode).toBe(200);
    expect(lines.filter((l) => l.msg === "incoming request" && l.req?.url === "/health")).toHaveLength(1);
    expect(lines.filter((l) => l.msg === "request completed")).toHaveLength(1);
    await a.inject("/boom");
    expect(lines.some((l) => l.level === 50 && l.err?.message === "disk on fire")).toBe(true);
  });
});
