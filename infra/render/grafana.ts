// Grafana provisioning: the Prometheus datasource, a file dashboard provider, and the fleet
// dashboard (consciousness levels, peers, request latency, message throughput, up per device).
import { stringify } from "yaml";

export const GRAFANA_PROVISIONING = "/etc/grafana/provisioning";
export const GRAFANA_DASHBOARDS = "/etc/grafana/dashboards";
export const DATASOURCE_UID = "aios-prometheus";

export function renderGrafanaDatasource(opts: { prometheusUrl: string }): string {
  return stringify({
    apiVersion: 1,
    datasources: [
      {
        name: "Prometheus",
        type: "prometheus",
        uid: DATASOURCE_UID,
        access: "proxy",
        url: opts.prometheusUrl,
        isDefault: true,
        editable: false,
      },
    ],
  });
}

export function renderGrafanaDashboardProvider(): string {
  return stringify({
    apiVersion: 1,
    providers: [
      {
        name: "aios",
        orgId: 1,
        folder: "AIOS",
        type: "file",
        disableDeletion: true,
        allowUiUpdates: false,
        options: { path: GRAFANA_DASHBOARDS },
      },
    ],
  });
}

interface PanelDef {
  title: string;
  type: "timeseries" | "stat";
  unit: string;
  targets: { expr: string; legend: string }[];
}

const PANELS: PanelDef[] = [
  {
    title: "Consciousness level",
    type: "timeseries",
    unit: "none",
    targets: [{ expr: "aios_consciousness_level", legend: "{{cell_id}} ({{device}})" }],
  },
  {
    title: "Peers up",
    type: "timeseries",
    unit: "none",
    targets: [{ expr: 'aios_peers_up{role="cell"}', legend: "{{cell_id}}" }],
  },
  {
    title: "Request latency (p95)",
    type: "timeseries",
    unit: "s",
    targets: [
      {
        expr: "histogram_quantile(0.95, sum by (le, cell_id) (rate(aios_http_request_duration_seconds_bucket[5m])))",
        legend: "{{cell_id}}",
      },
    ],
  },
  {
    title: "Message throughput",
    type: "timeseries",
    unit: "ops",
    targets: [
      { expr: "sum by (cell_id) (rate(aios_messages_sent_total[5m]))", legend: "sent {{cell_id}}" },
      { expr: "sum by (cell_id) (rate(aios_messages_received_total[5m]))", legend: "received {{cell_id}}" },
    ],
  },
  {
    title: "Message backlog",
    type: "timeseries",
    unit: "none",
    targets: [{ expr: "aios_outbox_pending", legend: "{{cell_id}}" }],
  },
  {
    title: "Services up per device",
    type: "stat",
    unit: "none",
    targets: [{ expr: 'sum by (device) (up{job=~"aios-.*"})', legend: "{{device}}" }],
  },
];

export function renderGrafanaDashboard(): string {
  const datasource = { type: "prometheus", uid: DATASOURCE_UID };
  const dashboard = {
    uid: "aios-fleet",
    title: "AIOS fleet",
    schemaVersion: 39,
    version: 1,
    editable: false,
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    tags: ["aios"],
    panels: PANELS.map((p, i) => ({
      id: i + 1,
      title: p.title,
      type: p.type,
      datasource,
      gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      targets: p.targets.map((t, j) => ({
        refId: String.fromCharCode(65 + j),
        datasource,
        expr: t.expr,
        legendFormat: t.legend,
      })),
    })),
  };
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
