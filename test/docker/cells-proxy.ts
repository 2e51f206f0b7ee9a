// A stand-in for Traefik's cells.<domain> service, which cannot run here (no image pull, no
// binary): an HTTP proxy on 127.0.0.1 built from the rendered dynamic config. It does what that
// config asks of Traefik: round robin over the service's servers, an active health check on
// the rendered path and interval that takes a server out while it fails, and the rendered retry
// middleware, which sends a request that got no TCP-level answer on to the next server
// (attempts counts the first try, as Traefik's does).
import { request, createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parse } from "yaml";

interface Dynamic {
  http: {
    routers: Record<string, { service: string; middlewares?: string[] }>;
    middlewares: Record<string, { retry?: { attempts: number } }>;
    services: Record<string, { loadBalancer: { servers: { url: string }[]; healthCheck: { path: string; interval: string } } }>;
  };
}

export interface CellsProxy {
  url: string;
  /** Requests that went on to another server after a failed try. */
  retries(): number;
  close(): Promise<void>;
}

const seconds = (d: string): number => Number(/^(\d+)s$/.exec(d)?.[1] ?? NaN);

/**
 * Serves router `router` of the rendered config; `resolveUrl` maps a server URL of the config
 * (http://father:8000, a Docker network alias) to where that cell listens in the test.
 */
export async function startCellsProxy(dynamicYaml: string, router: string, resolveUrl: (url: string) => string): Promise<CellsProxy> {
  const d = parse(dynamicYaml) as Dynamic;
  const r = d.http.routers[router];
  if (!r) throw new Error(`no router ${router} in the rendered config`);
  const lb = d.http.services[r.service]!.loadBalancer;
  const attempts = (r.middlewares ?? []).map((m) => d.http.middlewares[m]?.retry?.attempts).find((a) => a !== undefined) ?? 1;
  const servers = lb.servers.map((s) => ({ url: new URL(resolveUrl(s.url)), up: true }));
  let next = 0;
  let retried = 0;

  const check = async (): Promise<void> => {
    for (const s of servers) {
      s.up = await fetch(new URL(lb.healthCheck.path, s.url), { signal: AbortSignal.timeout(3000) }).then((res) => res.ok, () => false);
    }
  };
  await check();
  const timer = setInterval(() => void check(), seconds(lb.healthCheck.interval) * 1000);

  const forward = (req: IncomingMessage, to: URL): Promise<{ status: number; body: Buffer }> =>
    new Promise((done, fail) => {
      const out = request({ host: to.hostname, port: to.port, path: req.url, method: req.method, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => done({ status: res.statusCode ?? 502, body: Buffer.concat(chunks) }));
        res.on("error", fail);
      });
      out.on("error", fail);
      out.end();
    });

  const server: Server = createServer((req, res) => {
    void (async () => {
      const healthy = servers.filter((s) => s.up);
      const pool = healthy.length ? healthy : servers;
      for (let attempt = 1; ; attempt++) {
        const target = pool[next++ % pool.length]!;
        try {
          const answer = await forward(req, target.url);
          res.writeHead(answer.status).end(answer.body);
          return;
        } catch {
          if (attempt >= attempts) {
            res.writeHead(502).end("Bad Gateway");
            return;
          }
          retried++;
        }
      }
    })();
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    retries: () => retried,
    close: () => {
      clearInterval(timer);
      return new Promise((done) => server.close(() => done()));
    },
  };
}
