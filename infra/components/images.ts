// Third-party images, pinned by tag and pulled on the device's daemon; containers use the
// pulled image id, so a changed tag rolls them.
import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";

export const IMAGES = {
  traefik: "traefik:v3.1",
  nats: "nats:2.10-alpine",
  "nats-exporter": "natsio/prometheus-nats-exporter:0.15.0",
  vault: "hashicorp/vault:1.17",
  prometheus: "prom/prometheus:v2.54.1",
  alertmanager: "prom/alertmanager:v0.27.0",
  grafana: "grafana/grafana-oss:11.2.0",
  // Alpine and dnsmasq 2.90; with /etc/dnsmasq.conf present its entrypoint runs dnsmasq on it
  dnsmasq: "dockurr/dnsmasq:2.90",
} as const;

export function pulled(kind: keyof typeof IMAGES, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
  return new docker.RemoteImage(`${kind}-image`, { name: IMAGES[kind], keepLocally: true }, opts).imageId;
}
