// /metrics counts every HTTP answer by method, route and status, matched routes under their
// pattern and everything else under "unmatched", with a latency histogram per route: what the
// Grafana board and the alert rules read.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../app/src/app.ts";
import { loadConfig } from "../../app/src/config.ts";
import { TEST_TOKEN } from "../helpers/service.ts";

describe("HTTP request metrics", () => {
  let app: FastifyInstance;

  /** Samples of one metric from /metrics: labels (without the default ones) -> value. */
  const samples = async (name: string): Promise<Record<string, number>> => {
    const text = (await app.inject("/metrics")).body;
    const out: Record<string, number> = {};
    for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, "gm"))) {
      const labels = m[1]!
        .split(",")
        .filter((l) => !/^(cell_id|device|role)=/.test(l))
        .sort()
        .join(",");
      out[labels] = Number(m[2]);
    }
    return out;
  };

  beforeAll(async () => {
    // the bus is not needed for HTTP metrics: an address nothing listens on
    const env = {
      AIOS_ROLE: "cell",
      AIOS_CELL_ID: "metered",
      AIOS_DEVICE: "desktop",
      AIOS_TOKEN: TEST_TOKEN,
      AIOS_DATA_DIR: mkdtempSync(join(tmpdir(), "aios-metrics-")),
      AIOS_NATS_URLS: "nats://127.0.0.1:9",
    };
    app = await buildApp({ config: loadConfig(env), logger: false });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  it("counts answers by method, route pattern and status, and times them per route", async () => {
    for (let i = 0; i < 3; i++) expect((await app.inject("/health")).statusCode).toBe(200);
    expect((await app.inject({ method: "HEAD", url: "/health" })).statusCode).toBe(200);
    const missing = await app.inject("/no/such/path");
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ message: "Route GET:/no/such/path not found", error: "Not Found", statusCode: 404 });
    expect((await app.inject("/another-missing")).statusCode).toBe(404);
    expect((await app.inject({ method: "POST", url: "/messages", payload: { to: "x", body: 1 } })).statusCode).toBe(401);
    const bad = await app.inject({
      method: "POST",
      url: "/messages",
      headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
      payload: "{not json",
    });
    expect(bad.statusCode).toBe(400);

    const counts = await samples("aios_http_requests_total");
    expect(counts).toEqual({
      'method="GET",route="/health",status_code="200"': 3,
      'method="HEAD",route="/health",status_code="200"': 1,
      'method="GET",route="unmatched",status_code="404"': 2,
      'method="POST",route="/messages",status_code="401"': 1,
      'method="POST",route="/messages",status_code="400"': 1,
    });
    const timed = await samples("aios_http_request_duration_seconds_count");
    expect(timed).toMatchObject({
      'method="GET",route="/health"': 3,
      'method="GET",route="unmatched"': 2,
      'method="POST",route="/messages"': 2,
    });
    // every /health answer lands in a bucket: the +Inf bucket holds all three
    const buckets = await samples("aios_http_request_duration_seconds_bucket");
    expect(buckets['le="+Inf",method="GET",route="/health"']).toBe(3);
  });
});
