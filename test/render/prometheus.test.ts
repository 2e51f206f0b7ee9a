// prometheus.yml and the alert rules, checked by the real promtool, with alert unit tests.
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { parseConfig } from "../../infra/config.ts";
import { scrapeTargets } from "../../infra/plan.ts";
import { renderPrometheusConfig } from "../../infra/render/prometheus.ts";
import { ALERTS, renderAlertRules } from "../../infra/render/rules.ts";
import { hasTool } from "../helpers/tools.ts";
import { loadStackConfig } from "../infra/stack-config.ts";
import { appSeriesNames, metricNames } from "./promql.ts";
import { runTool, tempFiles } from "./tool.ts";

const rulesOpts = { cellDownFor: "1m", noPeersFor: "5m", backlogThreshold: 100, backlogFor: "10m" };
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

describe.runIf(hasTool("promtool"))("Prometheus files (promtool)", () => {
  it("the desktop's prometheus.yml and rules pass promtool check", () => {
    const cfg = parseConfig(loadStackConfig("desktop"));
    const t = tempFiles({ "rules.yml": renderAlertRules(rulesOpts) });
    cleanups.push(t.cleanup);
    const yml = renderPrometheusConfig({
      targets: scrapeTargets(cfg),
      scrapeInterval: "15s",
      evaluationInterval: "15s",
      alertmanager: "alertmanager:9093",
      ruleFiles: [t.path("rules.yml")],
    });
    const cfgFile = tempFiles({ "prometheus.yml": yml });
    cleanups.push(cfgFile.cleanup);
    const check = runTool("promtool", ["check", "config", cfgFile.path("prometheus.yml")]);
    expect(check.out).toContain("SUCCESS");
    expect(check.code, check.out).toBe(0);
    expect(check.out).toMatch(/SUCCESS: 4 rules found/);
  });

  it("promtool rejects a broken rules file (the check can fail)", () => {
    const t = tempFiles({ "rules.yml": renderAlertRules(rulesOpts).replace("== 0", "== ") });
    cleanups.push(t.cleanup);
    const r = runTool("promtool", ["check", "rules", t.path("rules.yml")]);
    expect(r.code).not.toBe(0);
  });

  it("cell down fires after its for: window, a healthy cell never; no peers, backlog and refused payloads fire", () => {
    const downLabels = { job: "aios-cell", instance: "father:8000", device: "desktop", cell_id: "father" };
    const series = (labels: Record<string, string>, name = "up") =>
      `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(",")}}`;
    const fires = (eval_time: string, alertname: string, labels: Record<string, string>, summary: string, description: string) => ({
      eval_time,
      alertname,
      exp_alerts: [{ exp_labels: labels, exp_annotations: { summary, description } }],
    });
    const cellDown = (t: string) =>
      fires(t, ALERTS.cellDown, { ...downLabels, severity: "critical" }, "Cell father on desktop is down", "Prometheus has not scraped father:8000 for 1m.");
    const cellLabels = { job: "aios-cell", instance: "nous:8002", device: "desktop", cell_id: "nous", role: "cell" };
    const tests = {
      rule_files: ["rules.yml"],
      evaluation_interval: "15s",
      tests: [
        {
          interval: "15s",
          input_series: [
            // father answers twice, then is down from t=30s on
            { series: series(downLabels), values: "1 1 0x40" },
            { series: series({ ...downLabels, instance: "nous:8002", cell_id: "nous" }), values: "1x42" },
          ],
          alert_rule_test: [
            // down for 45 s < 1m: pending, not firing
            { eval_time: "75s", alertname: ALERTS.cellDown, exp_alerts: [] },
            cellDown("2m"),
            cellDown("10m"),
          ],
        },
        {
          interval: "1m",
          input_series: [
            { series: series(cellLabels, "aios_peers_up"), values: "1 1 0x10" },
            { series: series({ ...cellLabels, cell_id: "father", instance: "father:8000" }, "aios_peers_up"), values: "1x12" },
            { series: series(cellLabels, "aios_outbox_pending"), values: "0+20x30" },
            { series: series({ ...cellLabels, cell_id: "father", instance: "father:8000" }, "aios_outbox_pending"), values: "150x30" },
            // nous refuses 3 forged messages at 2m, then nothing more; father never refuses any
            { series: series({ ...cellLabels, channel: "message" }, "aios_bus_rejected_total"), values: "0 0 3x28" },
            { series: series({ ...cellLabels, cell_id: "father", instance: "father:8000", channel: "message" }, "aios_bus_rejected_total"), values: "0x30" },
          ],
          alert_rule_test: [
            { eval_time: "5m", alertname: ALERTS.noPeers, exp_alerts: [] },
            fires(
              "8m",
              ALERTS.noPeers,
              { ...cellLabels, severity: "warning" },
              "Cell nous on desktop sees no other cell",
              "No peer has been up in its view for 5m; check the bus and the other devices.",
            ),
            // nous passes 100 at 6m and keeps growing; father is high but flat: only nous fires
            { eval_time: "12m", alertname: ALERTS.backlog, exp_alerts: [] },
            fires(
              "25m",
              ALERTS.backlog,
              { ...cellLabels, severity: "warning" },
              "Message backlog on nous is growing",
              "More than 100 accepted messages wait for the bus and the number keeps rising.",
            ),
            { eval_time: "1m", alertname: ALERTS.refused, exp_alerts: [] },
            fires(
              "3m",
              ALERTS.refused,
              { ...cellLabels, channel: "message", severity: "warning" },
              "nous on desktop refused message payloads",
              "In the last 5 minutes it received payloads that were unsigned or not signed by a member who may send them: a member or leaf server forging them, or a member not yet given its certificate. Its log names the subjects.",
            ),
            // five minutes after the last refusal it is quiet again
            { eval_time: "10m", alertname: ALERTS.refused, exp_alerts: [] },
          ],
        },
      ],
    };
    const t = tempFiles({ "rules.yml": renderAlertRules(rulesOpts), "tests.yml": stringify(tests) });
    cleanups.push(t.cleanup);
    const r = runTool("promtool", ["test", "rules", "tests.yml"], { cwd: t.dir });
    expect(r.out).toContain("SUCCESS");
    expect(r.code, r.out).toBe(0);

    // The same tests fail if a healthy cell were expected to fire: the unit tests can fail.
    const wrong = structuredClone(tests);
    wrong.tests[0]!.alert_rule_test[0] = { ...cellDown("2m"), eval_time: "75s" };
    const t2 = tempFiles({ "rules.yml": renderAlertRules(rulesOpts), "tests.yml": stringify(wrong) });
    cleanups.push(t2.cleanup);
    expect(runTool("promtool", ["test", "rules", "tests.yml"], { cwd: t2.dir }).code).not.toBe(0);
  });

  it("scrape jobs group targets with device labels", () => {
    const cfg = parseConfig(loadStackConfig("desktop"));
    const yml = parse(
      renderPrometheusConfig({ targets: scrapeTargets(cfg), scrapeInterval: "15s", evaluationInterval: "15s", ruleFiles: [] }),
    ) as { scrape_configs: { job_name: string; static_configs: { targets: string[]; labels: Record<string, string> }[] }[] };
    const cells = yml.scrape_configs.find((j) => j.job_name === "aios-cell")!;
    expect(cells.static_configs.map((s) => s.targets[0])).toEqual(["father:8000", "nous:8002", "192.168.1.20:8000"]);
    expect(cells.static_configs.map((s) => s.labels.device)).toEqual(["desktop", "desktop", "laptop"]);
  });

  it("every metric an alert rule reads is one the app exports", async () => {
    const exported = await appSeriesNames();
    const rules = parse(renderAlertRules(rulesOpts)) as { groups: { rules: { alert: string; expr: string }[] }[] };
    for (const r of rules.groups[0]!.rules) {
      expect(metricNames(r.expr).length, r.alert).toBeGreaterThan(0);
      for (const n of metricNames(r.expr)) expect(exported, `${r.alert}: ${n}`).toContain(n);
    }
  });
});
