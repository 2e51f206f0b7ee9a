// alertmanager.yml: one route; alerts go to a webhook when one is configured.
import { stringify } from "yaml";
import { ALERTS } from "./rules.ts";

export function renderAlertmanagerConfig(opts: { webhookUrl?: string | undefined }): string {
  const receiver = opts.webhookUrl
    ? { name: "aios", webhook_configs: [{ url: opts.webhookUrl, send_resolved: true }] }
    : { name: "aios" };
  return stringify({
    route: {
      receiver: "aios",
      group_by: ["alertname", "device"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "4h",
    },
    receivers: [receiver],
    inhibit_rules: [
      // A cell that is down also has no peers; only the down alert is worth a page.
      { source_matchers: [`alertname="${ALERTS.cellDown}"`], target_matchers: [`alertname="${ALERTS.noPeers}"`], equal: ["cell_id"] },
    ],
  });
}
