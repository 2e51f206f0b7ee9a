// aios-copilot: the VS Code side. Everything it makes is registered through
// context.subscriptions, so deactivation leaves nothing behind; every failure is shown as a
// one-line message naming the URL and the reason (the client's AiosError), never a stack trace.
import { relative } from "node:path";
import * as vscode from "vscode";
import { analysisReport, completionText, connectMessage, syncMessage } from "./format.ts";
import { NetworkView } from "./network-view.ts";
import { makeClient, TOKEN_KEY } from "./settings.ts";
import { CellStatusBar } from "./status-bar.ts";

const SET_TOKEN = "Set API Token";

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  const { secrets, subscriptions } = context;
  const output = vscode.window.createOutputChannel("AIOS");
  const network = new NetworkView(secrets);
  const view = vscode.window.createTreeView("aiosNetwork", { treeDataProvider: network });
  // the view follows the status bar's interval while it is open
  const status = new CellStatusBar(secrets, () => view.visible && network.refresh());
  subscriptions.push(output, status, network, view);

  const showError = async (what: string, err: unknown): Promise<void> => {
    const message = `AIOS: ${what} failed: ${(err as Error).message}`;
    output.appendLine(message);
    const pick = /API token/.test(message) ? await vscode.window.showErrorMessage(message, SET_TOKEN) : await vscode.window.showErrorMessage(message);
    if (pick === SET_TOKEN) await vscode.commands.executeCommand("aios.setApiToken");
  };

  /** Registers a command whose failures become one readable error message. */
  const command = (id: string, what: string, run: () => Promise<void>): void => {
    subscriptions.push(
      vscode.commands.registerCommand(id, async () => {
        try {
          await run();
        } catch (err) {
          await showError(what, err);
        }
      }),
    );
  };

  command("aios.connectToCell", "connecting to the cell", async () => {
    const { client, settings } = await makeClient(secrets);
    const health = await client.health();
    const message = connectMessage(settings.cellEndpoint, health);
    output.appendLine(message);
    if (health.status === "ok") void vscode.window.showInformationMessage(message);
    else void vscode.window.showWarningMessage(message);
    void status.refresh();
    network.refresh();
  });

  command("aios.syncConsciousness", "syncing consciousness", async () => {
    const { client } = await makeClient(secrets);
    const message = syncMessage(await client.syncConsciousness());
    output.appendLine(message);
    void vscode.window.showInformationMessage(message);
    void status.refresh();
    network.refresh();
  });

  command("aios.setApiToken", "setting the API token", async () => {
    const token = await vscode.window.showInputBox({
      title: "AIOS API token",
      prompt: "The cell's API token (AIOS_TOKEN). Kept in VS Code's secret storage; leave empty to remove it.",
      password: true,
      ignoreFocusOut: true,
    });
    if (token === undefined) return; // cancelled
    if (token.trim() === "") {
      await secrets.delete(TOKEN_KEY);
      void vscode.window.showInformationMessage("AIOS: API token removed");
    } else {
      await secrets.store(TOKEN_KEY, token.trim());
      void vscode.window.showInformationMessage("AIOS: API token saved in VS Code's secret storage");
    }
  });

  command("aios.refreshNetwork", "refreshing the network", async () => {
    network.refresh();
    await status.refresh();
  });

  const activeFile = (): { editor: vscode.TextEditor; path: string } => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) throw new Error("no file is open in the editor");
    const doc = editor.document;
    const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
    const path = folder ? relative(folder.uri.fsPath, doc.uri.fsPath) : doc.uri.path.split("/").pop() || "untitled";
    return { editor, path };
  };

  command("aios.analyzeFile", "analysing the file", async () => {
    const { editor, path } = activeFile();
    const { client } = await makeClient(secrets);
    const context = { code: editor.document.getText(), language: editor.document.languageId };
    const report = analysisReport(path, await client.bridge({ action: "code_analysis", context, file_path: path }));
    output.appendLine(report);
    output.show(true);
  });

  command("aios.completeAtCursor", "completing at the cursor", async () => {
    const { editor, path } = activeFile();
    const { client } = await makeClient(secrets);
    // inserted where the cursor was when asked, even if it moved while the cell worked
    const at = editor.selection.active;
    const cursor = editor.document.offsetAt(at);
    const result = await client.bridge({ action: "ai_completion", context: { code: editor.document.getText(), cursor }, file_path: path });
    const text = completionText(result);
    output.appendLine(`AIOS completion for ${path} from cell ${result.cell_id}: ${JSON.stringify(text)}`);
    if (!text) throw new Error(`cell ${result.cell_id} returned an empty completion`);
    await editor.edit((edit) => edit.insert(at, text));
  });

  subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("aios")) {
        status.schedule();
        network.refresh();
      }
    }),
    secrets.onDidChange((e) => {
      if (e.key === TOKEN_KEY) network.refresh();
    }),
  );
  output.appendLine(`AIOS activated in ${(performance.now() - started).toFixed(1)} ms`);
}
