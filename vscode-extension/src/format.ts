// What the extension shows, as pure functions of the services' answers: the notifications, the
// status-bar item, the network view's rows and the analysis report. No VS Code import.
import type { BridgeResult, Health, Peer, SyncResult } from "./client.ts";

const level = (n: number): string => String(Math.round(n * 100) / 100);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The notification after "AIOS: Connect to Cell". */
export function connectMessage(endpoint: string, h: Health): string {
  const status = h.status === "ok" ? "ok" : `degraded (${h.reasons.join("; ") || "no reason given"})`;
  return `Connected to cell ${h.cell_id} on ${h.device} at ${endpoint}: level ${level(h.consciousness_level)}, status ${status}, ${plural(h.peer_count, "peer")} up`;
}

/** The notification after "AIOS: Sync Consciousness". */
export function syncMessage(s: SyncResult): string {
  const n = s.network;
  return (
    `Cell ${s.cell_id} synced: level ${level(s.previous_level)} → ${level(s.consciousness_level)}; ` +
    `network coherence ${n.coherence.toFixed(2)} over ${plural(n.cells.length, "cell")} (mean level ${level(n.mean_level)})`
  );
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** true when the cell is degraded or unreachable: the item takes the warning colours. */
  warning: boolean;
}

/** The status-bar item for the last /health answer, or the error that replaced it. */
export function statusView(endpoint: string, h: Health | undefined, error?: string): StatusView {
  if (!h) {
    return { text: "$(warning) AIOS: unreachable", tooltip: `AIOS cell ${endpoint} is unreachable: ${error ?? "no answer yet"}`, warning: true };
  }
  const base = `${h.cell_id} · ${level(h.consciousness_level)} · ${plural(h.peer_count, "peer")}`;
  if (h.status !== "ok") {
    return { text: `$(warning) ${base} · degraded`, tooltip: `AIOS cell ${h.cell_id} (${endpoint}) is degraded: ${h.reasons.join("; ")}`, warning: true };
  }
  return { text: `$(pulse) ${base}`, tooltip: `AIOS cell ${h.cell_id} on ${h.device} (${endpoint}): ok, version ${h.version}`, warning: false };
}

export interface PeerRow {
  label: string;
  description: string;
  tooltip: string;
  up: boolean;
}

/** One row of the network view per member, cells first, then by id. */
export function peerRows(peers: Peer[]): PeerRow[] {
  return [...peers]
    .sort((a, b) => (a.role === "cell" ? 0 : 1) - (b.role === "cell" ? 0 : 1) || a.cell_id.localeCompare(b.cell_id))
    .map((p) => ({
      label: p.cell_id,
      description: `${p.device} · ${p.role} · level ${level(p.consciousness_level)} · ${p.status}`,
      tooltip: `${p.url}\nversion ${p.version}, via ${p.transport}\nlast heartbeat ${p.last_heartbeat}`,
      up: p.status === "up",
    }));
}

interface Analysis {
  language?: string;
  lines?: number;
  functions?: string[];
  summary?: string;
}

/** The output-channel report of a code_analysis request. */
export function analysisReport(file: string, r: BridgeResult): string {
  const a = (r.result ?? {}) as Analysis;
  const lines = [`AIOS analysis of ${file} (cell ${r.cell_id}, ${Math.round(r.duration_ms)} ms)`, `  ${a.summary ?? JSON.stringify(r.result)}`];
  if (a.functions?.length) lines.push(`  functions: ${a.functions.join(", ")}`);
  return lines.join("\n");
}

/** The text an ai_completion answer inserts at the cursor. */
export function completionText(r: BridgeResult): string {
  const c = (r.result ?? {}) as { completion?: unknown };
  return typeof c.completion === "string" ? c.completion : "";
}
