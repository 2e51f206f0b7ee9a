// Grafana provisioning and Vault config have no offline checker here: they are checked against
// the documented provisioning and server-config structure. Dashboard queries are checked against
// the app's own metrics registry.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  DATASOURCE_UID,
  GRAFANA_DASHBOARDS,
  renderGrafanaDashboard,
  renderGrafanaDashboardProvider,
  renderGrafanaDatasource,
} from "../../infra/render/grafana.ts";
import { renderVaultConfig, VAULT_DATA } from "../../infra/render/vault.ts";
import { appSeriesNames, metricNames } from "./promql.ts";

interface Dashboard {
  uid: string;
  panels: { title: string; datasource: { uid: string }; targets: { expr: string; refId: string }[] }[];
}

describe("Grafana provisioning (structure)", () => {
  it("datasource file: apiVersion 1 and one default Prometheus datasource", () => {
    const d = parse(renderGrafanaDatasource({ prometheusUrl: "http://prometheus:9090" })) as {
      apiVersion: number;
      datasources: Record<string, unknown>[];
    };
    expect(d.apiVersion).toBe(1);
    expect(d.datasources).toEqual([
      expect.objectContaining({ type: "prometheus", uid: DATASOURCE_UID, url: "http://prometheus:9090", access: "proxy", isDefault: true }),
    ]);
  });

  it("dashboard provider reads the file dashboards", () => {
    const p = parse(renderGrafanaDashboardProvider()) as { apiVersion: number; providers: { type: string; options: { path: string } }[] };
    expect(p.apiVersion).toBe(1);
    expect(p.providers[0]).toMatchObject({ type: "file", options: { path: GRAFANA_DASHBOARDS } });
  });

  it("dashboard panels cover levels, peers, latency, throughput and up per device, via the datasource", () => {
    const d = JSON.parse(renderGrafanaDashboard()) as Dashboard;
    expect(d.uid).toBe("aios-fleet");
    const all = d.panels.map((p) => p.targets.map((t) => t.expr).join(" ")).join("\n");
    for (const m of ["aios_consciousness_level", "aios_peers_up", "aios_http_request_duration_seconds_bucket", "aios_messages_sent_total", "up"]) {
      expect(metricNames(all)).toContain(m);
    }
    for (const p of d.panels) {
      expect(p.datasource.uid, p.title).toBe(DATASOURCE_UID);
      expect(new Set(p.targets.map((t) => t.refId)).size, p.title).toBe(p.targets.length);
    }
  });

  it("every metric a panel queries is one the app exports (read from its registry)", async () => {
    const exported = await appSeriesNames();
    expect(exported.has("aios_process_resident_memory_bytes")).toBe(true); // default metrics are in the registry
    const d = JSON.parse(renderGrafanaDashboard()) as Dashboard;
    for (const p of d.panels) for (const t of p.targets) for (const n of metricNames(t.expr)) expect(exported, `${p.title}: ${n}`).toContain(n);
    expect(exported.has("aios_not_a_metric")).toBe(false);
  });

  it("the metric-name reader sees names inside functions and ignores labels", () => {
    expect(metricNames('sum by (device) (up{job=~"aios-.*"})')).toEqual(["up"]);
    expect(metricNames("histogram_quantile(0.95, sum by (le, cell_id) (rate(x_bucket[5m])))")).toEqual(["x_bucket"]);
  });
});

describe("Vault server config (structure)", () => {
  it("server mode with file storage on the volume and a TCP listener", () => {
    const v = JSON.parse(renderVaultConfig({ apiAddr: "http://vault:8200" })) as Record<string, unknown>;
    expect(v.storage).toEqual({ file: { path: VAULT_DATA } });
    expect(v.listener).toEqual([{ tcp: { address: "0.0.0.0:8200", tls_disable: true } }]);
    expect(v.api_addr).toBe("http://vault:8200");
    // Only documented top-level server keys; nothing that turns on dev mode.
    for (const k of Object.keys(v)) expect(["ui", "disable_mlock", "api_addr", "storage", "listener"]).toContain(k);
  });
});
