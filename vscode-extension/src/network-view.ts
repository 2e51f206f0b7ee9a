// The "AIOS Network" view: every member the cell knows from /peers (device, role, level, up/down).
import * as vscode from "vscode";
import { peerRows, type PeerRow } from "./format.ts";
import { makeClient } from "./settings.ts";

type Row = PeerRow | { error: string };

export class NetworkView implements vscode.TreeDataProvider<Row>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  private readonly secrets: vscode.SecretStorage;
  constructor(secrets: vscode.SecretStorage) {
    this.secrets = secrets;
  }

  refresh(): void {
    this.changed.fire();
  }

  async getChildren(parent?: Row): Promise<Row[]> {
    if (parent) return [];
    try {
      const { client } = await makeClient(this.secrets);
      const rows = peerRows((await client.peers()).peers);
      return rows.length ? rows : [{ error: "no members known yet" }];
    } catch (err) {
      return [{ error: (err as Error).message }];
    }
  }

  getTreeItem(row: Row): vscode.TreeItem {
    if ("error" in row) {
      const item = new vscode.TreeItem(row.error);
      item.iconPath = new vscode.ThemeIcon("warning");
      return item;
    }
    const item = new vscode.TreeItem(row.label);
    item.description = row.description;
    item.tooltip = row.tooltip;
    item.iconPath = new vscode.ThemeIcon(row.up ? "pass-filled" : "error", new vscode.ThemeColor(row.up ? "testing.iconPassed" : "testing.iconFailed"));
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
