// End to end in a real VS Code: the packaged .vsix installed into code-server, driven from the
// command palette in headless chromium, against a real cell on a real nats-server. Screenshots
// go to test/artifacts/ (git-ignored): vscode-extension.png with the status bar in its warning,
// vscode-extension-last.png at the end. The .vsix size and the activation time VS Code itself
// measured are printed.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import { TEST_TOKEN, type ServiceHandle } from "../helpers/service.ts";
import { fakeCompletions } from "../helpers/fake-completions.ts";
import { hasExecutable, hasTool } from "../helpers/tools.ts";
import { startCell, startRole, stopAll } from "../organelles/helpers.ts";
import { CODE_SERVER, launchChromium, notification, packageExtension, runCommand, startCodeServer, VSIX, type CodeServer } from "./code-server.ts";

const ARTIFACTS = resolve(import.meta.dirname, "../artifacts");
const ready = hasTool("nats-server") && hasTool("chromium") && hasExecutable(CODE_SERVER, "code-server");

describe.runIf(ready)("aios-copilot in a real VS Code (code-server + headless chromium)", () => {
  let nats: NatsHandle;
  let cell: ServiceHandle;
  let peer: ServiceHandle;
  let bridge: ServiceHandle;
  let ai: Awaited<ReturnType<typeof fakeCompletions>>;
  let vscode: CodeServer;
  let browser: Browser;
  let page: Page;
  const statusItem = () => page.locator(".statusbar-item", { hasText: /e2e-cell|AIOS/ }).first();
  beforeAll(async () => {
    await packageExtension();
    console.log(`aios-copilot.vsix: ${(statSync(VSIX).size / 1024).toFixed(1)} KiB`);
    nats = await startNats();
    ai = await fakeCompletions();
    const completions = { AIOS_COMPLETION_URL: ai.url, AIOS_COMPLETION_MODEL: "tiny" };
    cell = await startCell(nats.url, "e2e-cell", { AIOS_LEVEL: "3", ...completions });
    peer = await startCell(nats.url, "e2e-peer", { AIOS_LEVEL: "7", ...completions });
    bridge = await startRole(nats.url, "vscode-bridge");
    const dir = mkdtempSync(join(tmpdir(), "aios-vscode-"));
    const workspace = join(dir, "workspace");
    mkdirSync(workspace);
    writeFileSync(join(workspace, "app.py"), "def main():\n    return 1\n");
    vscode = await startCodeServer(dir, workspace, {
      "aios.cellEndpoint": cell.url,
      "aios.bridgeEndpoint": bridge.url,
      "aios.refreshIntervalSeconds": 1,
      "aios.requestTimeoutSeconds": 3,
      "workbench.startupEditor": "none",
      "workbench.tips.enabled": false,
      "extensions.ignoreRecommendations": true,
    });
    browser = await launchChromium(execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim(), dir);
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(vscode.url);
    await page.locator(".monaco-workbench").waitFor({ timeout: 90_000 });
    // activated on startup: its status-bar item appears without any command run
    await statusItem().waitFor({ timeout: 90_000 });
  }, 300_000);
  afterAll(async () => {
    if (page) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "vscode-extension-last.png") }).catch(() => undefined);
    }
    await browser?.close();
    await vscode?.stop();
    await stopAll([cell, peer, bridge]);
    await nats?.dispose();
    ai?.server.close();
  });

  it("Connect to Cell, from the command palette, names the cell, its level and status", async () => {
    await runCommand(page, "AIOS: Connect to Cell");
    const text = await notification(page, /Connected to cell e2e-cell/, 60_000);
    expect(text).toContain(`Connected to cell e2e-cell on desktop at ${cell.url}: level 3, status ok, 2 peers up`);
  }, 120_000);

  it("the status bar shows the cell and its level; the AIOS Network view lists the members", async () => {
    await expect.poll(async () => statusItem().innerText(), { timeout: 30_000 }).toMatch(/e2e-cell · 3 · 2 peers/);
    await page.locator(".pane-header", { hasText: "AIOS Network" }).click();
    const rows = page.locator(".pane", { hasText: "AIOS Network" }).locator(".monaco-list-row");
    const shown = () => rows.evaluateAll((els) => els.map((e) => [".label-name", ".label-description"].map((c) => e.querySelector(c)?.textContent)));
    await expect.poll(shown, { timeout: 30_000 }).toEqual([
      ["e2e-cell", "desktop · cell · level 3 · up"],
      ["e2e-peer", "desktop · cell · level 7 · up"],
      ["vscode-bridge-desktop", expect.stringMatching(/^desktop · vscode-bridge · level [\d.]+ · up$/)],
    ]);
  }, 60_000);

  it("Set API Token, then Sync Consciousness shows the new level", async () => {
    await runCommand(page, "AIOS: Sync Consciousness");
    expect(await notification(page, /no API token set/)).toMatch(/syncing consciousness failed: .*no API token set/);
    await runCommand(page, "AIOS: Set API Token");
    const input = page.locator(".quick-input-widget input");
    await expect.poll(async () => input.getAttribute("type")).toBe("password");
    await input.fill(TEST_TOKEN);
    await input.press("Enter");
    await notification(page, /API token saved/);
    await runCommand(page, "AIOS: Sync Consciousness");
    // 3 with a peer at 7: mean 5 -> 3.5; the new view (3.5, 7) has mean 5.25, coherence 0.65
    expect(await notification(page, /synced/)).toContain("Cell e2e-cell synced: level 3 → 3.5; network coherence 0.65 over 2 cells (mean level 5.25)");
    await expect.poll(async () => statusItem().innerText(), { timeout: 30_000 }).toMatch(/e2e-cell · 3\.5 · 2 peers/);
  }, 120_000);

  it("Analyze This File sends the open file through the bridge and reports in the AIOS output channel", async () => {
    await page.locator(".explorer-folders-view .monaco-list-row", { hasText: "app.py" }).click();
    await page.locator(".editor-instance .view-lines", { hasText: "def main" }).waitFor();
    await runCommand(page, "AIOS: Analyze This File");
    const output = page.locator(".panel .view-lines", { hasText: "AIOS analysis of app.py" });
    await output.waitFor({ timeout: 30_000 });
    expect((await output.innerText()).replace(/\s+/g, " ")).toMatch(
      /AIOS analysis of app\.py \(cell e2e-(cell|peer), \d+ ms\) 2 lines of python .*1 function: main functions: main/,
    );
  }, 60_000);

  it("Complete at Cursor inserts the cell's completion where the cursor is", async () => {
    await page.locator(".editor-instance .view-lines", { hasText: "def main" }).click();
    await page.keyboard.press("Control+End");
    await runCommand(page, "AIOS: Complete at Cursor");
    await page.locator(".editor-instance .view-lines", { hasText: "print('hi')" }).waitFor({ timeout: 30_000 });
    const lines = await page.locator(".editor-instance .view-line").allInnerTexts();
    expect(lines.map((l) => l.replace(/\u00a0/g, " "))).toEqual(["def main():", "    return 1", "():", "    print('hi')"]);
    // the cell was asked to continue the file's code at the cursor
    expect(ai.prompts.at(-1)).toMatch(/Continue this code from app\.py at the cursor\.[\s\S]*def main\(\):\n {4}return 1\n$/);
  }, 60_000);

  it("a stopped cell turns the status bar to the warning", async () => {
    await cell.kill("SIGTERM");
    await expect.poll(async () => statusItem().innerText(), { timeout: 30_000 }).toMatch(/AIOS: unreachable/);
    expect(await statusItem().getAttribute("class")).toMatch(/warning-kind/);
    // the open network view follows on the same interval
    const rows = page.locator(".pane", { hasText: "AIOS Network" }).locator(".monaco-list-row");
    await expect.poll(async () => rows.allInnerTexts(), { timeout: 30_000 }).toEqual([`${cell.url}/peers: connection refused (is the cell running?)`]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "vscode-extension.png") });
  }, 60_000);

  it("VS Code's own activation time for the extension", async () => {
    await runCommand(page, "Developer: Show Running Extensions");
    const row = page.locator(".runtime-extensions-editor .monaco-list-row", { hasText: "AIOS Copilot" }).first();
    await row.waitFor({ timeout: 30_000 });
    const text = await row.innerText();
    const ms = /Activation: (\d+)\s*ms/.exec(text);
    expect(ms, text).not.toBeNull();
    console.log(`aios-copilot activation, as VS Code's Running Extensions shows it: ${ms![1]} ms`);
  }, 60_000);
});
