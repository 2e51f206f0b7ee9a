import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../app/src/app.ts";
import { loadConfig } from "../../app/src/config.ts";
import { freePort, waitFor } from "../helpers/ports.ts";

describe("bus credentials never leave the process", () => {
  const apps: { close(): Promise<unknown> }[] = [];
  afterAll(async () => Promise.all(apps.map((a) => a.close())));

  it("masks a token inside AIOS_NATS_URLS in /health's degraded reason", async () => {
    const dead = await freePort();
    const config = loadConfig({
      AIOS_ROLE: "cell",
      AIOS_CELL_ID: "leaky",
      AIOS_DEVICE: "phone",
      AIOS_TOKEN: "api-token-0123456789",
      AIOS_NATS_URLS: `nats://bus-s3cr3t-token@127.0.0.1:${dead}`,
      AIOS_DATA_DIR: mkdtempSync(join(tmpdir(), "aios-leak-")),
    });
    const app = await buildApp({ config, logger: false });
    apps.push(app);
    await app.ready();
    const health = await waitFor("a degraded reason naming the bus", async () => {
      const body = (await app.inject({ url: "/health" })).json() as { status: string; reasons: string[] };
      return body.reasons.some((r) => r.includes(`127.0.0.1:${dead}`)) && body;
    });
    expect(health.status).toBe("degraded");
    expect(JSON.stringify(health)).toContain("***@127.0.0.1");
    expect(JSON.stringify(health)).not.toContain("bus-s3cr3t-token");
  });
});
