// Alert rules: a cell down, a cell without peers, a growing message backlog, payloads refused
// for their signature.
import { stringify } from "yaml";

export interface RuleOptions {
  cellDownFor: string;
  noPeersFor: string;
  backlogThreshold: number;
  backlogFor: string;
}

export const ALERTS = { cellDown: "AiosCellDown", noPeers: "AiosCellWithoutPeers", backlog: "AiosMessageBacklog", refused: "AiosBusPayloadsRefused" } as const;

export function renderAlertRules(opts: RuleOptions): string {
  return stringify({
    groups: [
      {
        name: "aios",
        rules: [
          {
            alert: ALERTS.cellDown,
            expr: 'up{job="aios-cell"} == 0',
            for: opts.cellDownFor,
            labels: { severity: "critical" },
            annotations: {
              summary: "Cell {{ $labels.cell_id }} on {{ $labels.device }} is down",
              description: `Prometheus has not scraped {{ $labels.instance }} for ${opts.cellDownFor}.`,
            },
          },
          {
            alert: ALERTS.noPeers,
            expr: 'aios_peers_up{role="cell"} == 0',
            for: opts.noPeersFor,
            labels: { severity: "warning" },
            annotations: {
              summary: "Cell {{ $labels.cell_id }} on {{ $labels.device }} sees no other cell",
              description: `No peer has been up in its view for ${opts.noPeersFor}; check the bus and the other devices.`,
            },
          },
          {
            alert: ALERTS.backlog,
            expr: `aios_outbox_pending > ${opts.backlogThreshold} and delta(aios_outbox_pending[${opts.backlogFor}]) > 0`,
            for: opts.backlogFor,
            labels: { severity: "warning" },
            annotations: {
              summary: "Message backlog on {{ $labels.cell_id }} is growing",
              description: `More than ${opts.backlogThreshold} accepted messages wait for the bus and the number keeps rising.`,
            },
          },
          {
            // no `for`: one forged payload is worth a look, and the counter says when it stopped
            alert: ALERTS.refused,
            expr: "increase(aios_bus_rejected_total[5m]) > 0",
            labels: { severity: "warning" },
            annotations: {
              summary: "{{ $labels.cell_id }} on {{ $labels.device }} refused {{ $labels.channel }} payloads",
              description:
                "In the last 5 minutes it received payloads that were unsigned or not signed by a member who may send them: a member or leaf server forging them, or a member not yet given its certificate. Its log names the subjects.",
            },
          },
        ],
      },
    ],
  });
}
