// The status-bar item: the cell, its level and peers, refreshed every aios.refreshIntervalSeconds,
// in the warning colours while the cell is degraded or unreachable. Clicking it connects.
import * as vscode from "vscode";
import { statusView } from "./format.ts";
import { makeClient, readSettings } from "./settings.ts";

export class CellStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("aios.cellStatus", vscode.StatusBarAlignment.Left, 50);
  private timer: ReturnType<typeof setInterval> | undefined;
  private running = false;

  private readonly secrets: vscode.SecretStorage;
  private readonly onTick: () => void;
  /** `onTick` runs on every interval too (the network view refreshes with it). */
  constructor(secrets: vscode.SecretStorage, onTick: () => void) {
    this.secrets = secrets;
    this.onTick = onTick;
    this.item.name = "AIOS cell";
    this.item.command = "aios.connectToCell";
    this.item.text = "$(sync~spin) AIOS";
    this.item.show();
    this.schedule();
  }

  /** Restarts the interval (after a settings change) and refreshes now. */
  schedule(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => {
      void this.refresh();
      this.onTick();
    }, Math.max(1, readSettings().refreshSeconds) * 1000);
    void this.refresh();
  }

  async refresh(): Promise<void> {
    if (this.running) return; // a slow cell must not pile up calls
    this.running = true;
    const endpoint = readSettings().cellEndpoint;
    try {
      const { client } = await makeClient(this.secrets);
      this.show(statusView(endpoint, await client.health()));
    } catch (err) {
      this.show(statusView(endpoint, undefined, (err as Error).message));
    } finally {
      this.running = false;
    }
  }

  private show(v: ReturnType<typeof statusView>): void {
    this.item.text = v.text;
    this.item.tooltip = v.tooltip;
    this.item.backgroundColor = v.warning ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.item.dispose();
  }
}
