// The fleet map in a real browser (Debian's chromium, driven headless by playwright-core) against
// real processes: a nats-server, a discovery service and cells on two devices. The page lists the
// running cells by device, a killed cell turns down, a new cell appears, the page is usable from
// the keyboard and fits a phone screen, and it loads nothing but its own three files. A
// screenshot of each state is kept in test/artifacts/ (git-ignored).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { hasTool } from "../helpers/tools.ts";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import { startService, type ServiceHandle } from "../helpers/service.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const DOWN_AFTER_MS = 1000;
const PRESENCE = { AIOS_HEARTBEAT_MS: "200", AIOS_DOWN_AFTER_MS: String(DOWN_AFTER_MS) };
export const ARTIFACTS = resolve(import.meta.dirname, "../artifacts");

const row = (id: string, status?: string) => `tr[data-cell="${id}"]${status ? `[data-status="${status}"]` : ""}`;

describe.runIf(hasTool("chromium") && hasTool("nats-server"))("the fleet map in headless Chromium", () => {
  let nats: NatsHandle;
  let discovery: ServiceHandle;
  const cells: ServiceHandle[] = [];
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];

  const cell = async (id: string, device: string, level: string) => {
    const c = await startService({ AIOS_ROLE: "cell", AIOS_CELL_ID: id, AIOS_DEVICE: device, AIOS_LEVEL: level, AIOS_NATS_URLS: nats.url, ...PRESENCE });
    cells.push(c);
    return c;
  };
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `fleet-map-${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    nats = await startNats();
    discovery = await startService({ AIOS_ROLE: "discovery", AIOS_DEVICE: "desktop", AIOS_NATS_URLS: nats.url, ...PRESENCE });
    await cell("father", "desktop", "5");
    await cell("alpha", "laptop", "3");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(`${discovery.url}/`);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await Promise.all(cells.map((c) => c.kill()));
    await discovery?.kill();
    await nats?.dispose();
  });

  it("lists every running cell in its device's group, with role, level, status and heartbeat, and the network's level and coherence", async () => {
    await page.waitForSelector(row("father", "up"));
    await page.waitForSelector(row("alpha", "up"));
    const groups = await page.$$eval("section.device", (s) =>
      s.map((x) => ({ device: x.getAttribute("data-device"), cells: [...x.querySelectorAll("tr[data-cell]")].map((r) => r.getAttribute("data-cell")) })),
    );
    expect(groups).toEqual([
      { device: "desktop", cells: ["father"] },
      { device: "laptop", cells: ["alpha"] },
    ]);
    const alpha = await page.$eval(row("alpha"), (r) => [...r.querySelectorAll("td")].map((td) => td.textContent));
    expect(alpha.slice(0, 4)).toEqual(["alpha", "cell", "3", "up"]);
    expect(alpha[4]).toMatch(/\ds ago$/);
    expect(await page.textContent("#device-laptop .bus")).toBe("bus link up");
    expect(await page.textContent("#mean-level")).toBe("4");
    expect(await page.textContent("#coherence")).toBe("0.8");
    expect(await page.textContent("#link")).toBe("live");
    await shot("running");
  });

  it("a killed cell turns down within AIOS_DOWN_AFTER_MS plus a second, and its device's bus link with it", async () => {
    const alpha = cells.find((c) => c.env.AIOS_CELL_ID === "alpha")!;
    const killedAt = Date.now();
    await alpha.kill("SIGKILL");
    await page.waitForSelector(row("alpha", "down"), { timeout: 15_000 });
    const tookMs = Date.now() - killedAt;
    console.log(`fleet map: alpha shown down ${tookMs} ms after SIGKILL (AIOS_DOWN_AFTER_MS=${DOWN_AFTER_MS}, heartbeat 200 ms; shared 2-core machine)`);
    expect(await page.textContent("#device-laptop .bus")).toBe("bus link down");
    expect(await page.textContent("#cells-up")).toBe("1");
    expect(await page.textContent("#changes")).toContain("alpha is down");
    await shot("killed");
  });

  it("a new cell appears, on a new device", async () => {
    await cell("nous", "phone", "2");
    await page.waitForSelector(row("nous", "up"));
    expect(await page.getAttribute("section.device:last-of-type", "data-device")).toBe("phone");
    await shot("joined");
  });

  it("is usable from the keyboard: skip link, then a device link that moves focus to its group, and updates keep the focus", async () => {
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to the devices");
    await page.keyboard.press("Tab");
    const first = await page.evaluate(() => document.activeElement?.textContent ?? "");
    expect(first).toMatch(/^desktop \(\d+\/\d+ up\)$/);
    await page.keyboard.press("Tab");
    // live updates (a frame every half second as heartbeats move) leave the focus where it is
    await page.waitForTimeout(1500);
    expect(await page.evaluate(() => document.activeElement?.textContent ?? "")).toMatch(/^laptop \(/);
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.activeElement?.id === "device-laptop");
    await page.waitForTimeout(1500);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("device-laptop");
  });

  it("fits a phone screen and loads nothing but its own files", async () => {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const foreign = requests.filter((u) => !u.startsWith(`${discovery.url}/`));
    expect(foreign).toEqual([]);
    expect(new Set(requests.map((u) => new URL(u).pathname))).toEqual(new Set(["/", "/fleet.css", "/fleet.js", "/fleet/events"]));
  });
});
