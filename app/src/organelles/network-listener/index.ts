// network-listener (port 3000): the network as this device sees it. GET /network/status and
// GET /peers come from presence on the bus, plus what mDNS finds on the LAN; the view is saved
// in the data directory and served ("source": "saved") after a restart until the bus returns.
// GET /health/desktop-cell checks the primary cell (AIOS_PRIMARY_CELL_URL) live.
import type { FastifyPluginAsync } from "fastify";
import { Gauge } from "prom-client";
import { errorSchema, peerSchema } from "../../schemas.ts";
import { toPeerJson } from "../../plugins/peers.ts";
import { envInt, envSwitch, envUrl } from "../env.ts";
import { registerOrganelleBase } from "../base.ts";
import { notFound } from "../../lib/http-errors.ts";
import { PersistedView } from "../persisted-view.ts";
import { Mdns, type LanService } from "./mdns.ts";

const PRIMARY_TIMEOUT_MS = 2000;
const PRIMARY_CHECK_MS = 5000;

interface PrimaryCheck {
  url: string;
  reachable: boolean;
  status_code: number | null;
  latency_ms: number;
  cell_id: string | null;
  consciousness_level: number | null;
  error: string | null;
  checked_at: string;
}

const lanSchema = {
  type: "object",
  properties: {
    name: { type: "string" },
    host: { type: "string" },
    port: { type: "integer" },
    addresses: { type: "array", items: { type: "string" } },
    role: { type: ["string", "null"] },
    device: { type: ["string", "null"] },
    url: { type: ["string", "null"] },
    last_seen: { type: "string" },
  },
} as const;

const primarySchema = {
  type: "object",
  properties: {
    url: { type: "string" },
    reachable: { type: "boolean" },
    status_code: { type: ["integer", "null"] },
    latency_ms: { type: "number" },
    cell_id: { type: ["string", "null"] },
    consciousness_level: { type: ["number", "null"] },
    error: { type: ["string", "null"] },
    checked_at: { type: "string" },
  },
} as const;

async function checkPrimary(url: string): Promise<PrimaryCheck> {
  const started = performance.now();
  const base = { url, checked_at: new Date().toISOString() };
  const latency = (): number => Math.round((performance.now() - started) * 100) / 100;
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(PRIMARY_TIMEOUT_MS) });
    const body = (await res.json().catch(() => ({}))) as { cell_id?: unknown; consciousness_level?: unknown };
    return {
      ...base,
      reachable: res.ok,
      status_code: res.status,
      latency_ms: latency(),
      cell_id: typeof body.cell_id === "string" ? body.cell_id : null,
      consciousness_level: typeof body.consciousness_level === "number" ? body.consciousness_level : null,
      error: res.ok ? null : `/health answered ${res.status}`,
    };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const error = e.name === "TimeoutError" ? `no answer within ${PRIMARY_TIMEOUT_MS} ms` : (e.cause?.code ?? e.message);
    return { ...base, reachable: false, status_code: null, latency_ms: latency(), cell_id: null, consciousness_level: null, error };
  }
}

const networkListener: FastifyPluginAsync = async (app) => {
  const primaryUrl = envUrl(app.config.env, "AIOS_PRIMARY_CELL_URL");
  const mdnsEnabled = envSwitch(app.config.env, "AIOS_MDNS", true);
  const mdnsExpireMs = envInt(app.config.env, "AIOS_MDNS_EXPIRE_S", 300, 3, 86_400) * 1000;
  await registerOrganelleBase(app);
  const { cellId, device, role, port, publicUrl } = app.config;
  const view = new PersistedView<{ lan: LanService[]; primary: PrimaryCheck | null }>(app, "network-view.json", {
    lan: [],
    primary: null,
  });
  const mdns = new Mdns(mdnsEnabled, { name: cellId, port, txt: { role, device, url: publicUrl } }, view.extra.lan, mdnsExpireMs);
  mdns.onChange = () => (view.extra.lan = mdns.services());
  const primaryUp = new Gauge({
    name: "aios_primary_cell_reachable",
    help: "1 when the primary cell (AIOS_PRIMARY_CELL_URL) answered its last /health check",
    registers: [app.metrics.registry],
  });
  let checking = false;
  const timer = setInterval(() => {
    if (!primaryUrl || checking) return;
    checking = true;
    void checkPrimary(primaryUrl)
      .then((c) => {
        view.extra.primary = c;
        primaryUp.set(c.reachable ? 1 : 0);
      })
      .finally(() => (checking = false));
  }, PRIMARY_CHECK_MS);
  timer.unref();
  app.addHook("preClose", async () => {
    clearInterval(timer);
    await mdns.stop();
  });

  app.get(
    "/network/status",
    {
      schema: {
        // Bus connection, members up by role, mDNS state and the last primary-cell check
        response: {
          200: {
            type: "object",
            properties: {
              listener_id: { type: "string" },
              source: { type: "string", enum: ["bus", "saved"] },
              saved_at: { type: ["string", "null"] },
              bus: {
                type: "object",
                properties: {
                  connected: { type: "boolean" },
                  server: { type: ["string", "null"] },
                  last_error: { type: ["string", "null"] },
                },
              },
              members: {
                type: "object",
                properties: { known: { type: "integer" }, up: { type: "integer" }, up_by_role: { type: "object", additionalProperties: { type: "integer" } } },
              },
              mdns: {
                type: "object",
                properties: {
                  enabled: { type: "boolean" },
                  announcing: { type: "boolean" },
                  error: { type: ["string", "null"] },
                  lan_services: { type: "integer" },
                },
              },
              primary_cell: { anyOf: [primarySchema, { type: "null" }] },
            },
          },
        },
      },
    },
    async () => {
      const cur = view.current();
      const upByRole: Record<string, number> = {};
      for (const p of cur.peers) if (p.up) upByRole[p.role] = (upByRole[p.role] ?? 0) + 1;
      return {
        listener_id: cellId,
        source: cur.source,
        saved_at: cur.saved_at,
        bus: { connected: app.bus.connected, server: app.bus.connected ? (app.bus.server ?? null) : null, last_error: app.bus.lastError ?? null },
        members: { known: cur.peers.length, up: cur.peers.filter((p) => p.up).length, up_by_role: upByRole },
        mdns: { ...mdns.status, lan_services: mdns.services().length },
        primary_cell: view.extra.primary,
      };
    },
  );

  app.get(
    "/peers",
    {
      schema: {
        // Every member known on the bus (or as last saved), and the services mDNS found on the LAN
        response: {
          200: {
            type: "object",
            properties: {
              cell_id: { type: "string" },
              bus_connected: { type: "boolean" },
              source: { type: "string", enum: ["bus", "saved"] },
              saved_at: { type: ["string", "null"] },
              peers: { type: "array", items: peerSchema },
              lan: { type: "array", items: lanSchema },
            },
          },
        },
      },
    },
    async () => {
      const cur = view.current();
      return {
        cell_id: cellId,
        bus_connected: app.bus.connected,
        source: cur.source,
        saved_at: cur.saved_at,
        peers: cur.peers.map(toPeerJson),
        lan: mdns.services(),
      };
    },
  );

  app.get(
    "/health/desktop-cell",
    {
      schema: {
        // Checks the primary cell's /health now: 200 when it answers, 503 with the reason when not
        response: { 200: primarySchema, 503: primarySchema, 404: errorSchema },
      },
    },
    async (_req, reply) => {
      if (!primaryUrl) return reply.code(404).send(notFound("no primary cell configured: set AIOS_PRIMARY_CELL_URL"));
      const c = await checkPrimary(primaryUrl);
      view.extra.primary = c;
      primaryUp.set(c.reachable ? 1 : 0);
      return reply.code(c.reachable ? 200 : 503).send(c);
    },
  );
};

export default networkListener;
