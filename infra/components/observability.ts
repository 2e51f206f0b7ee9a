// Prometheus (scrape config and alert rules rendered from the plan), Alertmanager and Grafana
// (provisioned from files; admin password generated and handed over as a file).
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { DeviceConfigBase } from "../config.ts";
import { scrapeTargets, type ServiceSpec } from "../plan.ts";
import { renderAlertmanagerConfig } from "../render/alertmanager.ts";
import {
  GRAFANA_DASHBOARDS,
  GRAFANA_PROVISIONING,
  renderGrafanaDashboard,
  renderGrafanaDashboardProvider,
  renderGrafanaDatasource,
} from "../render/grafana.ts";
import { renderPrometheusConfig } from "../render/prometheus.ts";
import { renderAlertRules } from "../render/rules.ts";
import { dataVolume, serviceContainer, wgetProbe } from "./container.ts";
import { pulled } from "./images.ts";

export interface ObservabilityArgs {
  cfg: DeviceConfigBase;
  prometheus: ServiceSpec;
  alertmanager?: ServiceSpec | undefined;
  grafana?: ServiceSpec | undefined;
}

const PROM_DIR = "/etc/prometheus";
const GRAFANA_ADMIN_FILE = "/run/secrets/grafana-admin-password";

export class Observability extends pulumi.ComponentResource {
  readonly containers: Record<string, docker.Container> = {};
  readonly grafanaAdminPassword?: pulumi.Output<string>;

  constructor(name: string, args: ObservabilityArgs, opts: pulumi.ComponentResourceOptions) {
    super("aios:infra:Observability", name, {}, opts);
    const o = { parent: this };
    const { cfg, prometheus, alertmanager, grafana } = args;
    const ob = cfg.observability;
    const promYml = renderPrometheusConfig({
      targets: scrapeTargets(cfg),
      scrapeInterval: ob.scrapeInterval,
      evaluationInterval: ob.evaluationInterval,
      ...(alertmanager ? { alertmanager: `${alertmanager.name}:${alertmanager.port}` } : {}),
      ruleFiles: [`${PROM_DIR}/rules.yml`],
    });
    const rules = renderAlertRules(ob);
    this.containers[prometheus.name] = serviceContainer(
        {
          spec: prometheus,
          image: pulled("prometheus", o),
          command: [
            `--config.file=${PROM_DIR}/prometheus.yml`,
            `--storage.tsdb.path=${prometheus.dataPath}`,
            "--storage.tsdb.retention.time=15d",
            `--web.external-url=https://${prometheus.name}.${cfg.domain}`,
            "--web.route-prefix=/",
          ],
          healthTest: wgetProbe(prometheus.port, prometheus.healthPath),
          volume: dataVolume(prometheus.name, o),
          uploads: [
            { file: `${PROM_DIR}/prometheus.yml`, content: promYml },
            { file: `${PROM_DIR}/rules.yml`, content: rules },
          ],
        },
        o,
      );
    if (alertmanager) {
      this.containers[alertmanager.name] = serviceContainer(
          {
            spec: alertmanager,
            image: pulled("alertmanager", o),
            command: ["--config.file=/etc/alertmanager/alertmanager.yml", `--storage.path=${alertmanager.dataPath}`],
            healthTest: wgetProbe(alertmanager.port, alertmanager.healthPath),
            volume: dataVolume(alertmanager.name, o),
            uploads: [{ file: "/etc/alertmanager/alertmanager.yml", content: renderAlertmanagerConfig({ webhookUrl: ob.alertWebhook }) }],
          },
          o,
        );
    }
    if (grafana) {
      const password = new random.RandomPassword("grafana-admin-password", { length: 24, special: false }, o);
      this.grafanaAdminPassword = pulumi.secret(password.result);
      this.containers[grafana.name] = serviceContainer(
          {
            spec: grafana,
            image: pulled("grafana", o),
            envs: [
              `GF_SECURITY_ADMIN_PASSWORD__FILE=${GRAFANA_ADMIN_FILE}`,
              `GF_SERVER_ROOT_URL=https://${grafana.name}.${cfg.domain}`,
              "GF_USERS_ALLOW_SIGN_UP=false",
              "GF_ANALYTICS_REPORTING_ENABLED=false",
            ],
            healthTest: wgetProbe(grafana.port, grafana.healthPath),
            volume: dataVolume(grafana.name, o),
            uploads: [
              { file: GRAFANA_ADMIN_FILE, content: this.grafanaAdminPassword, permissions: "0400", owner: "472" },
              {
                file: `${GRAFANA_PROVISIONING}/datasources/aios.yml`,
                content: renderGrafanaDatasource({ prometheusUrl: `http://${prometheus.name}:${prometheus.port}` }),
              },
              { file: `${GRAFANA_PROVISIONING}/dashboards/aios.yml`, content: renderGrafanaDashboardProvider() },
              { file: `${GRAFANA_DASHBOARDS}/aios-fleet.json`, content: renderGrafanaDashboard() },
            ],
          },
          o,
        );
    }
    this.registerOutputs({});
  }
}
