// Abuse and overload limits, as a client sees them: per-client rate limits on every mutating
// route of every role, the stricter limit on failed authentication, load shedding with 503, and
// the 413 of an oversize body actually reaching a client that is still sending it.
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance, InjectOptions } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "../../app/src/app.ts";
import { loadConfig, ROLES } from "../../app/src/config.ts";
import { waitFor } from "../helpers/ports.ts";
import { startService, TEST_TOKEN, type ServiceHandle } from "../helpers/service.ts";

const good = { authorization: `Bearer ${TEST_TOKEN}` };
const wrong = { authorization: "Bearer not-the-token-0123456789" };
const OTHER = "127.0.0.2";

let apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.map((a) => a.close()));
  apps = [];
});

async function start(env: Record<string, string> = {}): Promise<{ app: FastifyInstance; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), "aios-limits-"));
  const app = await buildApp({
    config: loadConfig({
      AIOS_ROLE: "cell",
      AIOS_CELL_ID: "alpha",
      AIOS_DEVICE: "desktop",
      AIOS_TOKEN: TEST_TOKEN,
      AIOS_DATA_DIR: dataDir,
      // no bus: accepted messages wait in the outbox, which the tests count
      AIOS_NATS_URLS: "nats://127.0.0.1:1",
      AIOS_MDNS: "off",
      ...env,
    }),
    logger: false,
  });
  apps.push(app);
  return { app, dataDir };
}

const send = (app: FastifyInstance, headers: Record<string, string> = good, extra: Partial<InjectOptions> = {}) =>
  app.inject({ method: "POST", url: "/messages", headers, payload: { to: "*", body: "hi" }, ...extra });
const outbox = (dataDir: string) => readdirSync(join(dataDir, "outbox")).length;

describe("per-client rate limit on mutating routes", () => {
  it("answers 429 with Retry-After and a JSON reason past AIOS_RATE_LIMIT, and accepts nothing more", async () => {
    const { app, dataDir } = await start({ AIOS_RATE_LIMIT: "5", AIOS_RATE_WINDOW_S: "60" });
    for (let i = 0; i < 5; i++) expect((await send(app)).statusCode).toBe(202);
    const refused = await send(app);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect(refused.json()).toMatchObject({ statusCode: 429, error: "Too Many Requests" });
    expect(refused.json().message).toMatch(/more than 5 calls in 60 s/);
    expect(outbox(dataDir)).toBe(5);
  });

  it("counts each client (address and token) on its own, and never limits /health or /metrics", async () => {
    const { app } = await start({ AIOS_RATE_LIMIT: "2" });
    for (let i = 0; i < 3; i++) await send(app);
    expect((await send(app)).statusCode).toBe(429);
    expect((await send(app, good, { remoteAddress: OTHER })).statusCode).toBe(202);
    for (let i = 0; i < 50; i++) {
      expect((await app.inject({ url: "/health" })).statusCode).toBe(200);
      expect((await app.inject({ url: "/metrics" })).statusCode).toBe(200);
    }
    expect((await app.inject({ url: "/messages", headers: good })).statusCode).toBe(200);
  });

  it("behind a trusted proxy (AIOS_TRUST_PROXY) tells clients apart by X-Forwarded-For; otherwise ignores it", async () => {
    const trusted = (await start({ AIOS_RATE_LIMIT: "1", AIOS_TRUST_PROXY: "127.0.0.1" })).app;
    const xff = (ip: string) => ({ ...good, "x-forwarded-for": ip });
    expect((await send(trusted, xff("192.0.2.1"))).statusCode).toBe(202);
    expect((await send(trusted, xff("192.0.2.1"))).statusCode).toBe(429);
    expect((await send(trusted, xff("192.0.2.2"))).statusCode).toBe(202);
    // untrusted: a forged header does not buy a fresh bucket
    const plain = (await start({ AIOS_RATE_LIMIT: "1" })).app;
    expect((await send(plain, xff("192.0.2.1"))).statusCode).toBe(202);
    expect((await send(plain, xff("192.0.2.2"))).statusCode).toBe(429);
  });

  it.each(ROLES)("limits every mutating route of the %s role", async (role) => {
    const { app } = await start({ AIOS_ROLE: role, AIOS_CELL_ID: role === "cell" ? "alpha" : "", AIOS_RATE_LIMIT: "1" });
    await app.ready();
    const mutating = app
      .printRoutes({ commonPrefix: false })
      .split("\n")
      .flatMap((line) => {
        const [, path, verbs] = /(\/\S*) \(([^)]+)\)/.exec(line) ?? [];
        if (!path || !verbs) return [];
        const url = path.replace(/:[a-z_]+/g, "x");
        return verbs.split(", ").filter((verb) => !["GET", "HEAD"].includes(verb)).map((verb) => ({ verb, url }));
      });
    if (role === "cell") expect(mutating).toContainEqual({ verb: "POST", url: "/messages" });
    for (const { verb, url } of mutating) {
      const call = () => app.inject({ method: verb as "POST", url, headers: good, payload: {} });
      expect((await call()).statusCode, `${verb} ${url}, first call`).not.toBe(429);
      expect((await call()).statusCode, `${verb} ${url}, second call`).toBe(429);
    }
  });
});

describe("failed authentication", () => {
  it("gets 429 after AIOS_AUTH_FAIL_LIMIT wrong tokens, even with the right token then; other addresses go on", async () => {
    const { app, dataDir } = await start({ AIOS_AUTH_FAIL_LIMIT: "3" });
    for (let i = 0; i < 3; i++) expect((await send(app, wrong)).statusCode).toBe(401);
    const blocked = await send(app, wrong);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().message).toMatch(/too many failed authentications/);
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
    // a guesser learns nothing more: the right token is refused the same way
    expect((await send(app, good)).statusCode).toBe(429);
    expect((await send(app, {})).statusCode).toBe(429);
    expect((await send(app, good, { remoteAddress: OTHER })).statusCode).toBe(202);
    expect(outbox(dataDir)).toBe(1);
    expect((await app.inject({ url: "/health" })).statusCode).toBe(200);
  });

  it("does not count calls with the right token", async () => {
    const { app } = await start({ AIOS_AUTH_FAIL_LIMIT: "2" });
    for (let i = 0; i < 20; i++) expect((await send(app)).statusCode).toBe(202);
    expect((await send(app, wrong)).statusCode).toBe(401);
  });
});

describe("load shedding", () => {
  it("past AIOS_MAX_HEAP_MB answers work routes 503 with Retry-After; /health says why, /metrics answers", async () => {
    const { app, dataDir } = await start({ AIOS_MAX_HEAP_MB: "1", AIOS_RETRY_AFTER_S: "7" });
    const shed = await waitFor("the first pressure sample", async () => {
      const res = await send(app);
      return res.statusCode === 503 ? res : undefined;
    });
    expect(shed.headers["retry-after"]).toBe("7");
    expect(shed.json()).toMatchObject({ statusCode: 503, error: "Service Unavailable" });
    expect(shed.json().message).toMatch(/heap in use \d+ MB over AIOS_MAX_HEAP_MB 1/);
    const health = await app.inject({ url: "/health" });
    expect(health.statusCode).toBe(200);
    expect(health.json().status).toBe("degraded");
    expect(health.json().reasons.join()).toMatch(/shedding load: heap in use/);
    expect((await app.inject({ url: "/metrics" })).statusCode).toBe(200);
    const queued = outbox(dataDir);
    expect((await send(app)).statusCode).toBe(503);
    expect(outbox(dataDir)).toBe(queued);
  });

  it("sheds while the event loop lags past AIOS_MAX_EVENT_LOOP_DELAY_MS, and takes work again once it recovers", async () => {
    const { app } = await start({ AIOS_MAX_EVENT_LOOP_DELAY_MS: "30", AIOS_MAX_HEAP_MB: "0" });
    await app.ready();
    expect((await send(app)).statusCode).toBe(202);
    // keep the loop busy in 80 ms slices for 2.5 s, as a CPU-bound burst would
    const until = Date.now() + 2500;
    await new Promise<void>((resolve) => {
      const slice = () => {
        const end = Date.now() + 80;
        while (Date.now() < end);
        if (Date.now() < until) setTimeout(slice, 0);
        else resolve();
      };
      slice();
    });
    const shed = await send(app);
    expect(shed.statusCode).toBe(503);
    expect(shed.json().message).toMatch(/event-loop delay \d+ ms over AIOS_MAX_EVENT_LOOP_DELAY_MS 30/);
    expect((await app.inject({ url: "/health" })).json().reasons.join()).toMatch(/shedding load: event-loop delay/);
    await waitFor("work to be taken again", async () => (await send(app)).statusCode === 202, 10_000);
    expect((await app.inject({ url: "/health" })).json().reasons.join()).not.toMatch(/shedding/);
  });
});

// The server runs in its own process: in the test's own process the client and server share one
// event loop, and the broken pipe never shows.
describe("an oversize body on a real socket", () => {
  let service: ServiceHandle | undefined;
  afterEach(async () => service?.kill());
  const serve = async (env: Record<string, string> = {}) => {
    service = await startService({ AIOS_ROLE: "cell", AIOS_CELL_ID: "alpha", AIOS_NATS_URLS: "nats://127.0.0.1:1", ...env });
    return service;
  };
  const post = (url: string, body: BodyInit, extra: RequestInit = {}) =>
    fetch(`${url}/messages`, { method: "POST", headers: { ...good, "content-type": "application/json" }, body, ...extra });

  it("reaches a fetch client as 413 with its reason, 50 times of 50 (5 MB against the default 1 MB)", async () => {
    const { url, env } = await serve();
    const body = JSON.stringify({ to: "*", body: "x".repeat(5 * 1024 * 1024) });
    const seen: string[] = [];
    for (let i = 0; i < 50; i++) {
      try {
        const res = await post(url, body);
        seen.push(`${res.status} ${(await res.json()).message}`);
      } catch (err) {
        seen.push(`${(err as Error).message}: ${String((err as { cause?: unknown }).cause)}`);
      }
    }
    expect(seen.filter((s) => !/^413 Request body is too large/.test(s))).toEqual([]);
    expect(outbox(env.AIOS_DATA_DIR!)).toBe(0);
    // the connection stays usable after a drained 413
    expect((await post(url, JSON.stringify({ to: "*", body: "small" }))).status).toBe(202);
  });

  it("also for a body sent without a length (chunked)", async () => {
    const { url } = await serve({ AIOS_BODY_LIMIT: "65536" });
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (sent++ < 40) ctl.enqueue(chunk);
        else ctl.close();
      },
    });
    const res = await post(url, stream, { duplex: "half" } as RequestInit);
    expect(res.status).toBe(413);
    expect((await res.json()).message).toMatch(/too large/);
  });
});
