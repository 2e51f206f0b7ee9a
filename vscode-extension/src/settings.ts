// The extension's settings and token, turned into a client. The token lives only in VS Code's
// SecretStorage; the CA is read from the file aios.caCertificate names, on every call.
import { readFile } from "node:fs/promises";
import * as vscode from "vscode";
import { AiosClient } from "./client.ts";

export const TOKEN_KEY = "aios.apiToken";

export interface Settings {
  cellEndpoint: string;
  bridgeEndpoint: string;
  caCertificate: string;
  refreshSeconds: number;
  timeoutSeconds: number;
  bridgeTimeoutSeconds: number;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration("aios");
  return {
    cellEndpoint: c.get<string>("cellEndpoint", "http://127.0.0.1:8000"),
    bridgeEndpoint: c.get<string>("bridgeEndpoint", "http://127.0.0.1:3001"),
    caCertificate: c.get<string>("caCertificate", ""),
    refreshSeconds: c.get<number>("refreshIntervalSeconds", 15),
    timeoutSeconds: c.get<number>("requestTimeoutSeconds", 10),
    bridgeTimeoutSeconds: c.get<number>("bridgeTimeoutSeconds", 35),
  };
}

/** A client for the current settings; a CA file that cannot be read is an error naming it. */
export async function makeClient(secrets: vscode.SecretStorage): Promise<{ client: AiosClient; settings: Settings }> {
  const settings = readSettings();
  let ca: string | undefined;
  if (settings.caCertificate) {
    try {
      ca = await readFile(settings.caCertificate, "utf8");
    } catch (err) {
      throw new Error(`aios.caCertificate: cannot read ${settings.caCertificate} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
    }
  }
  const token = await secrets.get(TOKEN_KEY);
  const client = new AiosClient({
    cellEndpoint: settings.cellEndpoint,
    bridgeEndpoint: settings.bridgeEndpoint,
    token,
    ca,
    timeoutMs: settings.timeoutSeconds * 1000,
    bridgeTimeoutMs: settings.bridgeTimeoutSeconds * 1000,
  });
  return { client, settings };
}
