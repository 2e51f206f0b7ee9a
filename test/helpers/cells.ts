// Cells and discovery as real processes on a real nats-server, with short presence timings so
// suites stay fast, plus small readers for the HTTP API (/peers, /messages, /metrics).
import { api, startService, type ServiceHandle } from "./service.ts";
import { waitFor } from "./ports.ts";

/** Heartbeat every 250 ms, down after 2 s without one: presence tests finish in seconds, and a
 * busy test machine does not make a live cell look down. */
export const FAST_PRESENCE = { AIOS_HEARTBEAT_MS: "250", AIOS_DOWN_AFTER_MS: "2000" };

export function startCell(natsUrl: string, cellId: string, env: Record<string, string> = {}): Promise<ServiceHandle> {
  return startService({ AIOS_ROLE: "cell", AIOS_CELL_ID: cellId, AIOS_NATS_URLS: natsUrl, ...FAST_PRESENCE, ...env });
}

export function startDiscovery(natsUrl: string, env: Record<string, string> = {}): Promise<ServiceHandle> {
  return startService({ AIOS_ROLE: "discovery", AIOS_NATS_URLS: natsUrl, ...FAST_PRESENCE, ...env });
}

export interface PeerJson {
  cell_id: string;
  status: "up" | "down";
  transport: "bus" | "http";
  consciousness_level: number;
  url: string;
  device: string;
  last_heartbeat: string;
}

export async function peers(url: string): Promise<PeerJson[]> {
  const res = await api("GET", `${url}/peers`);
  if (res.status !== 200) throw new Error(`GET /peers: ${res.status}`);
  return res.json.peers as PeerJson[];
}

/** Waits (generously) until `url`'s /peers lists `cellId` with `status`. */
export function waitPeer(url: string, cellId: string, status: "up" | "down", timeoutMs = 10_000): Promise<PeerJson> {
  return waitFor(
    `${url} to see ${cellId} ${status}`,
    async () => (await peers(url)).find((p) => p.cell_id === cellId && p.status === status),
    timeoutMs,
  );
}

export interface MessageJson {
  id: string;
  from: string;
  to: string;
  body: unknown;
  sent_at: string;
}

export async function inbox(url: string, after = "0"): Promise<{ messages: MessageJson[]; cursor: string }> {
  const res = await api("GET", `${url}/messages?after=${after}&limit=1000`);
  if (res.status !== 200) throw new Error(`GET /messages: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json as unknown as { messages: MessageJson[]; cursor: string };
}

/** Waits until the inbox holds a message with each of `ids`; returns the whole inbox. */
export function waitInbox(url: string, ids: string[], timeoutMs = 15_000): Promise<MessageJson[]> {
  return waitFor(
    `${url} to receive ${ids.join(", ")}`,
    async () => {
      const { messages } = await inbox(url);
      const got = new Set(messages.map((m) => m.id));
      return ids.every((id) => got.has(id)) && messages;
    },
    timeoutMs,
  );
}

export async function send(url: string, to: string, body: unknown): Promise<{ id: string; queued: boolean }> {
  const res = await api("POST", `${url}/messages`, { to, body });
  if (res.status !== 202) throw new Error(`POST /messages: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json as unknown as { id: string; queued: boolean };
}

/** The value of a metric sample without extra labels (beyond the default ones), from /metrics. */
export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  if (!line) throw new Error(`${name} is not in /metrics`);
  return Number(line.slice(line.lastIndexOf(" ") + 1));
}
