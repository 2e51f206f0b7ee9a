// Bad calls to a cell (no token, broken JSON, schema violations, oversized bodies, unknown cells)
// get the right status and a reason, and change nothing: inbox, outbox, level and presence stay.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../app/src/app.ts";
import { loadConfig } from "../../app/src/config.ts";
import { hasTool } from "../helpers/tools.ts";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import { waitFor } from "../helpers/ports.ts";
import { TEST_TOKEN } from "../helpers/service.ts";

const BODY_LIMIT = 2048;
const good = { authorization: `Bearer ${TEST_TOKEN}` };
const json = { "content-type": "application/json" };

// Every call that changes state, or reads the inbox, with a body that would be accepted
const guarded: { method: "GET" | "POST"; url: string; payload?: object }[] = [
  { method: "POST", url: "/messages", payload: { to: "alpha", body: "hi" } },
  { method: "POST", url: "/register", payload: { cell_id: "http-peer", url: "http://127.0.0.1:9/" } },
  { method: "POST", url: "/consciousness/evolve", payload: { stimulus: 1 } },
  { method: "POST", url: "/sync-consciousness", payload: {} },
  { method: "GET", url: "/messages" },
];

describe.skipIf(!hasTool("nats-server"))("a cell's answers to bad calls", () => {
  let nats: NatsHandle;
  let app: FastifyInstance;
  let dataDir: string;

  const get = async (url: string) => (await app.inject({ method: "GET", url, headers: good })).json();
  /** Everything a half-applied call could have touched, as the API shows it. */
  const state = async () => ({
    inbox: (await get("/messages?limit=1000")).messages.length as number,
    outbox: readdirSync(join(dataDir, "outbox")).length,
    level: (await get("/health")).consciousness_level as number,
    presence: ((await get("/peers")).peers as { cell_id: string; status: string; transport: string }[]).map(
      (p) => `${p.cell_id} ${p.transport} ${p.status}`,
    ),
    sent: /aios_messages_sent_total\{[^}]*\} (\d+)/.exec((await app.inject("/metrics")).body)?.[1],
  });

  beforeAll(async () => {
    nats = await startNats();
    dataDir = mkdtempSync(join(tmpdir(), "aios-errors-"));
    const env = {
      AIOS_ROLE: "cell",
      AIOS_CELL_ID: "alpha",
      AIOS_DEVICE: "desktop",
      AIOS_TOKEN: TEST_TOKEN,
      AIOS_DATA_DIR: dataDir,
      AIOS_NATS_URLS: nats.url,
      AIOS_BODY_LIMIT: String(BODY_LIMIT),
      AIOS_LEVEL: "3",
      // every bad call here comes from one address: the failed-auth limit has its own suite
      AIOS_AUTH_FAIL_LIMIT: "1000",
      // a slow machine must not see alpha's own record age out between two snapshots
      AIOS_DOWN_AFTER_MS: "60000",
    };
    app = await buildApp({ config: loadConfig(env), logger: false });
    await app.ready();
    await waitFor("alpha to see itself on the bus", async () =>
      (await get("/peers")).peers.some((p: { cell_id: string; status: string }) => p.cell_id === "alpha" && p.status === "up"),
    );
  });
  afterAll(async () => {
    await app?.close();
    await nats?.dispose();
  });

  it.each(guarded.flatMap((call) => [
    { ...call, headers: {} as Record<string, string>, why: "no token" },
    { ...call, headers: { authorization: "Bearer wrong-token-0123456789" }, why: "a wrong token" },
    { ...call, headers: { authorization: `Basic ${TEST_TOKEN}` }, why: "another scheme" },
  ]))("$method $url with $why: 401, nothing changed", async ({ method, url, payload, headers }) => {
    const before = await state();
    const res = await app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ statusCode: 401, error: "Unauthorized" });
    expect(await state()).toEqual(before);
  });

  it.each([
    ["broken JSON", "{not json"],
    ["a schema violation", JSON.stringify({ to: 42 })],
    ["a body over the limit", JSON.stringify({ to: "alpha", body: "x".repeat(BODY_LIMIT) })],
  ])("checks the token before the body: no token and %s is still 401", async (_what, payload) => {
    const res = await app.inject({ method: "POST", url: "/messages", headers: json, payload });
    expect(res.statusCode).toBe(401);
  });

  it("answers malformed JSON with 400 and the parser's reason", async () => {
    const before = await state();
    const res = await app.inject({ method: "POST", url: "/messages", headers: { ...good, ...json }, payload: '{"to": "alpha",' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/JSON/);
    expect(await state()).toEqual(before);
  });

  it.each([
    ["/messages", { to: "alpha" }, /body must have required property 'body'/],
    ["/messages", { body: 1 }, /body must have required property 'to'/],
    ["/messages", { to: "Not A Cell!", body: 1 }, /body\/to must match pattern/],
    ["/consciousness/evolve", { stimulus: 2 }, /body\/stimulus must be <= 1/],
    ["/consciousness/evolve", { stimulus: "lots" }, /body\/stimulus must be number/],
    ["/register", { cell_id: "web-peer" }, /body must have required property 'url'/],
    ["/register", { cell_id: "web-peer", url: "ftp://127.0.0.1/" }, /body\/url must match pattern/],
    ["/register", { cell_id: "web-peer", url: "http://127.0.0.1:9", consciousness_level: 11 }, /body\/consciousness_level/],
    // an unknown field is refused, not dropped: a typo must not silently fall back to a default
    ["/consciousness/evolve", { stimulous: 0.5 }, /body must NOT have additional properties \("stimulous"\)/],
    ["/messages", { to: "alpha", body: 1, priority: 5 }, /additional properties \("priority"\)/],
  ])("POST %s %j: 400 naming the field, nothing changed", async (url, payload, reason) => {
    const before = await state();
    const res = await app.inject({ method: "POST", url, headers: good, payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(reason);
    expect(await state()).toEqual(before);
  });

  it("rejects a bad inbox cursor with 400 naming it", async () => {
    const res = await app.inject({ method: "GET", url: "/messages?after=yesterday", headers: good });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/querystring\/after/);
  });

  it(`answers a body over AIOS_BODY_LIMIT (${BODY_LIMIT} bytes) with 413, nothing changed`, async () => {
    const before = await state();
    const payload = JSON.stringify({ to: "alpha", body: "x".repeat(BODY_LIMIT) });
    const res = await app.inject({ method: "POST", url: "/messages", headers: { ...good, ...json }, payload });
    expect(res.statusCode).toBe(413);
    expect(await state()).toEqual(before);
  });

  it("answers a message to an unknown cell with 404 naming it, nothing sent", async () => {
    const before = await state();
    const res = await app.inject({ method: "POST", url: "/messages", headers: good, payload: { to: "nobody", body: 1 } });
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toMatch(/unknown cell "nobody"/);
    expect(await state()).toEqual(before);
  });

  it("the same calls with the token do change state (so the checks above can fail)", async () => {
    const before = await state();
    const sent = await app.inject({ method: "POST", url: "/messages", headers: good, payload: { to: "alpha", body: "to myself" } });
    expect(sent.statusCode).toBe(202);
    const evolved = await app.inject({ method: "POST", url: "/consciousness/evolve", headers: good, payload: {} });
    expect(evolved.statusCode).toBe(200);
    await waitFor("the message in alpha's inbox", async () => (await state()).inbox === before.inbox + 1);
    const after = await state();
    expect(after.level).toBeGreaterThan(before.level);
    expect(Number(after.sent)).toBe(Number(before.sent) + 1);
  });
});
