// prometheus.yml: one job per kind of target, each target labelled with its device (and cell).
import { stringify } from "yaml";
import type { ScrapeTarget } from "../plan.ts";

export interface PrometheusOptions {
  targets: ScrapeTarget[];
  scrapeInterval: string;
  evaluationInterval: string;
  /** host:port of Alertmanager, when one runs. */
  alertmanager?: string;
  /** Paths of rule files, as Prometheus sees them. */
  ruleFiles: string[];
}

export function renderPrometheusConfig(opts: PrometheusOptions): string {
  const jobs = new Map<string, ScrapeTarget[]>();
  for (const t of opts.targets) jobs.set(t.job, [...(jobs.get(t.job) ?? []), t]);
  const config = {
    global: { scrape_interval: opts.scrapeInterval, evaluation_interval: opts.evaluationInterval },
    rule_files: opts.ruleFiles,
    ...(opts.alertmanager
      ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [opts.alertmanager] }] }] } }
      : {}),
    scrape_configs: [...jobs].map(([job, targets]) => ({
      job_name: job,
      metrics_path: "/metrics",
      static_configs: targets.map((t) => ({ targets: [t.address], labels: t.labels })),
    })),
  };
  return stringify(config);
}
