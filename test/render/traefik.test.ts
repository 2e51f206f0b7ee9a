// Traefik has no offline checker here: the rendered files are checked against the structure
// Traefik documents for the file provider (routers -> services/middlewares, TLS stores).
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseConfig } from "../../infra/config.ts";
import { cellBackends, planServices } from "../../infra/plan.ts";
import { renderTraefikDynamic, renderTraefikStatic, renderUsersFile, TRAEFIK_FILES } from "../../infra/render/traefik.ts";
import { checkTraefikDynamic } from "./traefik-schema.ts";
import { loadStackConfig } from "../infra/stack-config.ts";

describe("Traefik files (structure)", () => {
  const cfg = parseConfig(loadStackConfig("desktop"));
  const dynamic = renderTraefikDynamic({ domain: cfg.domain, services: planServices(cfg), cellBackends: cellBackends(cfg) });

  it("routes hosts, /cells/<id> with strip-prefix, and a health-checked cells.<domain> over every device", () => {
    const d = checkTraefikDynamic(dynamic);
    expect(d.http.routers.father!.rule).toBe("Host(`father.aios.lan`)");
    expect(d.http.routers["father-path"]!.rule).toBe("PathPrefix(`/cells/father`)");
    expect(d.http.middlewares["father-strip"]).toEqual({ stripPrefix: { prefixes: ["/cells/father"] } });
    expect(d.http.routers.cells!.rule).toBe("Host(`cells.aios.lan`)");
    expect(d.http.services.cells!.loadBalancer.servers.map((s) => s.url)).toEqual([
      "http://father:8000",
      "http://nous:8002",
      "http://192.168.1.20:8000",
    ]);
    expect(d.http.services.cells!.loadBalancer.healthCheck!.path).toBe("/health");
  });

  it("routes fleet.<domain> to the discovery service, whose page at / is the fleet map", () => {
    const d = checkTraefikDynamic(dynamic);
    expect(d.http.routers.fleet).toMatchObject({ rule: "Host(`fleet.aios.lan`)", service: "discovery" });
    expect(d.http.routers.fleet!.middlewares).toBeUndefined();
  });

  it("the dashboard, Prometheus and Alertmanager sit behind basic auth; Grafana and Vault use their own login", () => {
    const d = checkTraefikDynamic(dynamic);
    expect(d.http.routers.traefik).toMatchObject({ service: "api@internal", middlewares: ["dashboard-auth"] });
    expect(d.http.routers.prometheus!.middlewares).toEqual(["dashboard-auth"]);
    expect(d.http.routers.alertmanager!.middlewares).toEqual(["dashboard-auth"]);
    expect(d.http.routers.grafana!.middlewares).toBeUndefined();
    expect(d.http.middlewares["dashboard-auth"]).toEqual({ basicAuth: { usersFile: TRAEFIK_FILES.users } });
  });

  it("the check catches a router pointing at a missing service", () => {
    expect(() => checkTraefikDynamic(dynamic.replace("service: nous", "service: nobody"))).toThrow(/nobody/);
  });

  it("static config: file provider only, HTTP redirects to HTTPS, ping and Prometheus metrics", () => {
    const s = parse(renderTraefikStatic({ httpsPort: 443 })) as Record<string, Record<string, unknown>>;
    expect(Object.keys(s.providers!)).toEqual(["file"]);
    expect(s.providers!.file).toEqual({ filename: TRAEFIK_FILES.dynamic, watch: true });
    expect(s.entryPoints!.web).toMatchObject({
      address: ":80",
      http: { redirections: { entryPoint: { to: "websecure", scheme: "https" } } },
    });
    expect(s.ping).toEqual({ entryPoint: "traefik" });
    expect(s.metrics).toEqual({ prometheus: { entryPoint: "metrics" } });
    const other = parse(renderTraefikStatic({ httpsPort: 8443 })) as { entryPoints: { web: { http: { redirections: { entryPoint: { to: string } } } } } };
    expect(other.entryPoints.web.http.redirections.entryPoint.to).toBe(":8443");
  });

  it("users file is one htpasswd line", () => {
    expect(renderUsersFile("admin", "$2a$10$abc")).toBe("admin:$2a$10$abc\n");
  });
});
