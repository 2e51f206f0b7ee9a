// The packaged app (dist/, plain JavaScript from Node's type stripper) is what Docker devices
// and the phone run: it must hold every module and run the same service as src/.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { hasTool } from "../helpers/tools.ts";
import { APP_DIR as APP, packagedApp } from "../helpers/packaged-app.ts";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import { startService, type ServiceHandle } from "../helpers/service.ts";

const listJs = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".js")).sort();

describe.skipIf(!hasTool("nats-server"))("npm --prefix app run package", () => {
  let app: string;
  let nats: NatsHandle;
  const services: ServiceHandle[] = [];

  beforeAll(async () => {
    app = packagedApp();
    nats = await startNats();
  });
  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill()));
    await nats?.dispose();
  });

  it("turns every src/*.ts into dist/*.js with no TypeScript left in an import", () => {
    const ts = readdirSync(join(app, "src"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    expect(listJs(join(app, "dist"))).toEqual(ts.map((f) => f.replace(/\.ts$/, ".js")).sort());
    for (const f of listJs(join(app, "dist"))) {
      expect(readFileSync(join(app, "dist", f), "utf8"), f).not.toMatch(/from\s+["']\.[^"']*\.ts["']|import\(["']\.[^"']*\.ts["']\)/);
    }
  });

  it.each(["cell", "task-dispatcher"])("runs the %s role from dist/main.js like src/main.ts", async (role) => {
    const svc = await startService(
      { AIOS_ROLE: role, AIOS_CELL_ID: `pkg-${role}`, AIOS_NATS_URLS: nats.url },
      { main: join(app, "dist/main.js") },
    );
    services.push(svc);
    const health = (await (await fetch(`${svc.url}/health`)).json()) as { role: string; version: string; bus: { connected: boolean } };
    expect(health.role).toBe(role);
    expect(health.version).toBe(JSON.parse(readFileSync(join(APP, "package.json"), "utf8")).version);
  });

  it("the discovery role from dist/ serves the fleet map's page and files from public/", async () => {
    const svc = await startService({ AIOS_ROLE: "discovery", AIOS_NATS_URLS: nats.url }, { main: join(app, "dist/main.js") });
    services.push(svc);
    const page = await fetch(`${svc.url}/`);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<script src="/fleet.js" defer></script>');
    for (const [file, type] of [["fleet.js", /^text\/javascript/], ["fleet.css", /^text\/css/]] as const) {
      const res = await fetch(`${svc.url}/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get("content-type"), file).toMatch(type);
      expect(await res.text(), file).toBe(readFileSync(join(APP, "public", file), "utf8"));
    }
  });
});
