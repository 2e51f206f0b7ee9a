// alertmanager.yml, checked by the real amtool (Debian prometheus-alertmanager).
import { afterAll, describe, expect, it } from "vitest";
import { renderAlertmanagerConfig } from "../../infra/render/alertmanager.ts";
import { hasTool } from "../helpers/tools.ts";
import { runTool, tempFiles } from "./tool.ts";

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

function check(text: string) {
  const t = tempFiles({ "alertmanager.yml": text });
  cleanups.push(t.cleanup);
  return runTool("amtool", ["check-config", t.path("alertmanager.yml")]);
}

describe.runIf(hasTool("amtool"))("Alertmanager config (amtool check-config)", () => {
  it("is valid with and without a webhook", () => {
    for (const webhookUrl of [undefined, "https://hooks.example.org/aios"]) {
      const r = check(renderAlertmanagerConfig({ webhookUrl }));
      expect(r.out).toContain("SUCCESS");
      expect(r.code, r.out).toBe(0);
    }
  });

  it("a route to a missing receiver fails the check", () => {
    const r = check(renderAlertmanagerConfig({}).replace("receiver: aios", "receiver: nobody"));
    expect(r.code).not.toBe(0);
  });
});
