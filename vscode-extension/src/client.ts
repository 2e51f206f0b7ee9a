// The HTTP client the extension uses to talk to a cell and to the vscode-bridge. It imports
// nothing from VS Code, so the tests run it against real services without an editor.
// node:http(s) rather than fetch: fetch takes no per-request CA without undici's Agent, which
// Node does not expose, and the stack's local CA must be trusted for https://<cell>.<domain>.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { rootCertificates } from "node:tls";

export interface ClientOptions {
  cellEndpoint: string;
  bridgeEndpoint: string;
  /** Bearer token for mutating calls (kept by the extension in SecretStorage). */
  token?: string | undefined;
  /** PEM text of the stack's local CA (its `caCertificate` output), trusted besides the system's. */
  ca?: string | undefined;
  timeoutMs?: number;
  /** For the bridge's calls, which run a task on a cell (the bridge itself gives up after 30 s). */
  bridgeTimeoutMs?: number;
}

/** A failed call, worded for a person: which URL, and why. */
export class AiosError extends Error {
  override name = "AiosError";
  readonly url: string;
  readonly reason: string;
  readonly status: number | undefined;
  constructor(url: string, reason: string, status?: number) {
    super(`${url}: ${reason}`);
    this.url = url;
    this.reason = reason;
    this.status = status;
  }
}

export interface Health {
  cell_id: string;
  device: string;
  role: string;
  status: "ok" | "degraded";
  reasons: string[];
  consciousness_level: number;
  peer_count: number;
  version: string;
  uptime_seconds: number;
  bus: { connected: boolean; server: string | null };
}

export interface Peer {
  cell_id: string;
  role: string;
  device: string;
  url: string;
  consciousness_level: number;
  version: string;
  last_heartbeat: string;
  status: "up" | "down";
  transport: "bus" | "http";
}

export interface Peers {
  cell_id: string;
  bus_connected: boolean;
  peers: Peer[];
}

export interface SyncResult {
  cell_id: string;
  previous_level: number;
  consciousness_level: number;
  network: { cells: { cell_id: string; consciousness_level: number }[]; mean_level: number; coherence: number };
}

export interface BridgeRequest {
  action: string;
  context: Record<string, unknown>;
  file_path?: string;
}

export interface BridgeResult {
  action: string;
  task_id: string;
  cell_id: string;
  status: string;
  result: unknown;
  duration_ms: number;
}

// What node's socket errors mean, for the message a user reads.
const NET_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused (is the cell running?)",
  ECONNRESET: "the connection was reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's certificate is self-signed: set aios.caCertificate to the stack's CA file",
  SELF_SIGNED_CERT_IN_CHAIN: "the server's certificate is signed by an unknown CA: set aios.caCertificate to the stack's CA file",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's certificate is signed by an unknown CA: set aios.caCertificate to the stack's CA file",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate does not name this host",
  CERT_HAS_EXPIRED: "the server's certificate has expired",
};

function reasonOf(err: Error & { code?: string }): string {
  return (err.code && NET_REASONS[err.code]) || err.message || String(err.code);
}

/** The message of an AIOS error body ({statusCode, error, message}), or the start of the text. */
function bodyReason(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown };
    if (typeof body.message === "string") return `HTTP ${status}: ${body.message}`;
  } catch {
    // not JSON: fall through to the raw text
  }
  const snippet = text.trim().slice(0, 200);
  return `HTTP ${status}${snippet ? `: ${snippet}` : ""}`;
}

export class AiosClient {
  private readonly opts: ClientOptions;
  private readonly timeoutMs: number;
  private readonly bridgeTimeoutMs: number;
  constructor(opts: ClientOptions) {
    this.opts = opts;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.bridgeTimeoutMs = opts.bridgeTimeoutMs ?? 35_000;
  }

  health(): Promise<Health> {
    return this.call<Health>("GET", this.opts.cellEndpoint, "/health");
  }

  peers(): Promise<Peers> {
    return this.call<Peers>("GET", this.opts.cellEndpoint, "/peers");
  }

  syncConsciousness(): Promise<SyncResult> {
    return this.call<SyncResult>("POST", this.opts.cellEndpoint, "/sync-consciousness", undefined, true);
  }

  bridge(req: BridgeRequest): Promise<BridgeResult> {
    return this.call<BridgeResult>("POST", this.opts.bridgeEndpoint, "/vscode/request", req, true, this.bridgeTimeoutMs);
  }

  private call<T>(method: string, base: string, path: string, body?: unknown, needsToken = false, timeoutMs = this.timeoutMs): Promise<T> {
    let url: URL;
    try {
      // a base may carry a path prefix (https://<host>/cells/<cell>): keep it
      url = new URL(base.replace(/\/+$/, "") + path);
    } catch {
      return Promise.reject(new AiosError(`${base}${path}`, "not a valid URL (check aios.cellEndpoint / aios.bridgeEndpoint)"));
    }
    const shown = url.href;
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return Promise.reject(new AiosError(shown, `unsupported scheme ${url.protocol} (use http:// or https://)`));
    }
    if (needsToken && !this.opts.token) {
      return Promise.reject(new AiosError(shown, "no API token set: run \"AIOS: Set API Token\""));
    }
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    if (payload) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(payload.length);
    }
    return new Promise<T>((resolve, reject) => {
      const fail = (reason: string, status?: number) => reject(new AiosError(shown, reason, status));
      const onResponse = (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (err) => fail(reasonOf(err)));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) return fail(bodyReason(status, text), status);
          try {
            resolve(JSON.parse(text) as T);
          } catch {
            fail(`HTTP ${status} but the answer is not JSON: ${text.trim().slice(0, 200)}`, status);
          }
        });
      };
      const options = { method, headers, timeout: timeoutMs };
      // `ca` replaces node's trust store, so the system's roots go along with the stack's CA
      const req =
        url.protocol === "https:"
          ? httpsRequest(url, this.opts.ca ? { ...options, ca: [...rootCertificates, this.opts.ca] } : options, onResponse)
          : httpRequest(url, options, onResponse);
      // `timeout` fires on an idle socket; the deadline also bounds a server that trickles.
      const deadline = setTimeout(() => req.destroy(Object.assign(new Error("timeout"), { code: "AIOS_TIMEOUT" })), timeoutMs);
      req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "AIOS_TIMEOUT" })));
      req.on("error", (err: Error & { code?: string }) =>
        err.code === "AIOS_TIMEOUT" ? fail(`no answer within ${timeoutMs / 1000} s`) : fail(reasonOf(err)),
      );
      req.on("close", () => clearTimeout(deadline));
      req.end(payload);
    });
  }
}
