// Discovery's job for peers that registered over HTTP only: poll their /health and refresh
// their presence record while they answer; one that stops answering ages out and shows down.
import fp from "fastify-plugin";
import type { FastifyPluginAsync } from "fastify";

export const HTTP_CHECK_TIMEOUT_MS = 1000;

const checkerPlugin: FastifyPluginAsync = async (app) => {
  const interval = Math.max(250, Math.floor(app.config.heartbeatMs));
  const check = async (): Promise<void> => {
    if (!app.presence.ready) return;
    const httpPeers = app.presence.view().filter((p) => p.transport === "http");
    await Promise.all(
      httpPeers.map(async (p) => {
        try {
          const res = await fetch(`${p.url}/health`, { signal: AbortSignal.timeout(HTTP_CHECK_TIMEOUT_MS) });
          if (!res.ok) return;
          const h = (await res.json()) as { consciousness_level?: unknown; version?: unknown };
          const { up: _up, ...record } = p;
          await app.presence.put({
            ...record,
            consciousness_level: typeof h.consciousness_level === "number" ? h.consciousness_level : p.consciousness_level,
            version: typeof h.version === "string" ? h.version : p.version,
            heartbeat: new Date().toISOString(),
          });
        } catch {
          // unreachable: no refresh, so the record ages out and shows down
        }
      }),
    );
  };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void check().finally(() => (running = false));
  }, interval);
  timer.unref();
  app.addHook("preClose", async () => clearInterval(timer));
};

export default fp(checkerPlugin, { name: "http-peer-checker", dependencies: ["config", "presence"] });
