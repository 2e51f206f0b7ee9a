// The fleet map: a page at `/` (plain HTML, CSS and a little script from app/public, read once at
// start; nothing from the internet, no build step) that draws the network view live. GET
// /fleet/view is one snapshot; GET /fleet/events streams it as server-sent events, sent every
// UPDATE_MS when it changed (a member's status changes with time alone, as its heartbeat ages).
import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import fp from "fastify-plugin";
import type { FastifyPluginAsync } from "fastify";
import { fleetView, fleetViewSchema } from "./view.ts";

/** app/public, next to src/ and dist/ alike. */
const PUBLIC_DIR = new URL("../../public/", import.meta.url);
const ASSETS = {
  "/": { file: "fleet.html", type: "text/html; charset=utf-8" },
  "/fleet.css": { file: "fleet.css", type: "text/css; charset=utf-8" },
  "/fleet.js": { file: "fleet.js", type: "text/javascript; charset=utf-8" },
} as const;
export const UPDATE_MS = 500;
/** A comment line now and then keeps idle proxies from closing the stream. */
const KEEPALIVE_MS = 15_000;

const fleetMap: FastifyPluginAsync = async (app) => {
  for (const [path, asset] of Object.entries(ASSETS)) {
    const body = readFileSync(new URL(asset.file, PUBLIC_DIR), "utf8");
    app.get(path, { schema: { response: { 200: { type: "string" } } } }, async (_req, reply) =>
      reply.type(asset.type).header("cache-control", "no-cache").send(body),
    );
  }

  const view = () => fleetView(app.presence.view());
  // The network view grouped by device, with the mean level and coherence of the cells up
  app.get("/fleet/view", { schema: { response: { 200: fleetViewSchema } } }, async () => view());

  const streams = new Set<ServerResponse>();
  let timer: NodeJS.Timeout | undefined;
  let last = "";
  let lastSentAt = 0;
  const tick = () => {
    const v = view();
    const key = JSON.stringify({ ...v, at: undefined });
    const now = Date.now();
    if (key === last && now - lastSentAt < KEEPALIVE_MS) return;
    const frame = key === last ? ": keepalive\n\n" : `data: ${JSON.stringify(v)}\n\n`;
    last = key;
    lastSentAt = now;
    for (const s of streams) s.write(frame);
  };

  app.get(
    "/fleet/events",
    // The fleet view as server-sent events: one `data:` frame at once, then one each time it changes
    { schema: { response: { 200: { type: "string" } } } },
    async (req, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
      res.write(`retry: 1000\ndata: ${JSON.stringify(view())}\n\n`);
      streams.add(res);
      timer ??= setInterval(tick, UPDATE_MS);
      req.raw.on("close", () => {
        streams.delete(res);
        if (streams.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      });
    },
  );

  app.addHook("preClose", async () => {
    if (timer) clearInterval(timer);
    for (const s of streams) s.end();
    streams.clear();
  });
};

export default fp(fleetMap, { name: "fleet-map", dependencies: ["presence"] });
