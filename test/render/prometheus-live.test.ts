// Real Prometheus (Debian) with the rendered scrape config and rules, pointed at real cells:
// targets come up, then the cell-down alert fires for the cell that is killed, not the other.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../infra/config.ts";
import { scrapeTargets } from "../../infra/plan.ts";
import { renderPrometheusConfig } from "../../infra/render/prometheus.ts";
import { ALERTS, renderAlertRules } from "../../infra/render/rules.ts";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import { freePort, waitFor } from "../helpers/ports.ts";
import { startService, type ServiceHandle } from "../helpers/service.ts";
import { hasTool } from "../helpers/tools.ts";
import { TEST_SECRETS } from "../infra/stack-config.ts";

interface Target {
  labels: Record<string, string>;
  health: string;
}
interface Alert {
  labels: Record<string, string>;
  state: string;
}

describe.runIf(hasTool("prometheus"))("real Prometheus with the rendered config", () => {
  let nats: NatsHandle;
  const cells: ServiceHandle[] = [];
  let prom: ChildProcess | undefined;
  let promUrl = "";
  let dir = "";

  beforeAll(async () => {
    nats = await startNats();
    for (const id of ["alpha", "beta"]) {
      cells.push(await startService({ AIOS_ROLE: "cell", AIOS_CELL_ID: id, AIOS_DEVICE: "testbox", AIOS_NATS_URLS: nats.url }));
    }
    // A device config whose only targets are the two real cells, as a remote device at 127.0.0.1.
    const cfg = parseConfig({
      "aios:device": "probe",
      "aios:lanAddress": "127.0.0.1",
      "aios:bus": JSON.stringify({ mode: "hub" }),
      "aios:remoteDevices": JSON.stringify([
        { name: "testbox", address: "127.0.0.1", cells: cells.map((c, i) => ({ id: ["alpha", "beta"][i], port: c.port })) },
      ]),
      ...TEST_SECRETS,
    });
    dir = mkdtempSync(join(tmpdir(), "aios-prom-"));
    writeFileSync(join(dir, "rules.yml"), renderAlertRules({ cellDownFor: "3s", noPeersFor: "5m", backlogThreshold: 100, backlogFor: "10m" }));
    writeFileSync(
      join(dir, "prometheus.yml"),
      renderPrometheusConfig({
        targets: scrapeTargets(cfg).filter((t) => t.labels.device === "testbox"),
        scrapeInterval: "1s",
        evaluationInterval: "1s",
        ruleFiles: [join(dir, "rules.yml")],
      }),
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prom = spawn(
      "prometheus",
      [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: "ignore" },
    );
    await waitFor("prometheus to be ready", async () => (await fetch(`${promUrl}/-/ready`)).ok, 20_000);
  }, 60_000);

  afterAll(async () => {
    if (prom && prom.exitCode === null) {
      await new Promise<void>((r) => {
        prom!.once("exit", () => r());
        prom!.kill("SIGTERM");
      });
    }
    await Promise.all(cells.map((c) => c.kill()));
    await nats?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const targets = async (): Promise<Target[]> =>
    ((await (await fetch(`${promUrl}/api/v1/targets`)).json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
  const alerts = async (): Promise<Alert[]> =>
    ((await (await fetch(`${promUrl}/api/v1/alerts`)).json()) as { data: { alerts: Alert[] } }).data.alerts;

  it("scrapes both cells (up, labelled by device and cell), then fires cell-down only for the killed one", async () => {
    const up = await waitFor(
      "both cell targets up",
      async () => {
        const t = await targets();
        return t.length === 2 && t.every((x) => x.health === "up") ? t : undefined;
      },
      20_000,
      250,
    );
    expect(up.map((t) => [t.labels.job, t.labels.device, t.labels.cell_id]).sort()).toEqual([
      ["aios-cell", "testbox", "alpha"],
      ["aios-cell", "testbox", "beta"],
    ]);
    expect((await alerts()).filter((a) => a.labels.alertname === ALERTS.cellDown)).toEqual([]);

    await cells[0]!.kill();
    const firing = await waitFor(
      "the cell-down alert to fire",
      async () => {
        const a = (await alerts()).filter((x) => x.labels.alertname === ALERTS.cellDown && x.state === "firing");
        return a.length ? a : undefined;
      },
      30_000,
      250,
    );
    expect(firing.map((a) => a.labels.cell_id)).toEqual(["alpha"]);
    expect(firing[0]!.labels).toMatchObject({ device: "testbox", severity: "critical" });
    // beta stays up: its cell-down alert is neither pending nor firing (it may now miss its peer, a different alert)
    expect((await alerts()).some((a) => a.labels.alertname === ALERTS.cellDown && a.labels.cell_id === "beta")).toBe(false);
  }, 60_000);
});
