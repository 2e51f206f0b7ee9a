// Live checks with a timeout. HTTP: the status and the time to the response headers, trusting an
// extra CA when given (a stack's own LAN CA). TCP: whether something accepts connections.
import http from "node:http";
import https from "node:https";
import { connect } from "node:net";
import { rootCertificates } from "node:tls";

export interface ProbeResult {
  up: boolean;
  /** The HTTP status, when the server answered. */
  status: number | undefined;
  /** Milliseconds until the response headers (or the TCP connection) arrived. */
  latencyMs: number | undefined;
  /** Why it is not up, in a few words. */
  reason: string | undefined;
  /** The parsed JSON body of a 2xx answer, when it was JSON. */
  body: unknown;
}

const CERT_ERRORS = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

const TIMEOUT = "AIOS_PROBE_TIMEOUT";

function failure(err: NodeJS.ErrnoException, timeoutMs: number): string {
  const code = err.code ?? "";
  if (code === TIMEOUT) return `no answer within ${timeoutMs} ms`;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "host name not found";
  if (CERT_ERRORS.has(code)) return `certificate not trusted (${code}); set NODE_EXTRA_CA_CERTS to the CA file`;
  return code || err.message;
}

const elapsed = (since: number) => Math.round(performance.now() - since);

/** GET `url`; up when the answer is 2xx. Never rejects. */
export function probe(url: string, timeoutMs: number, opts: { ca?: string } = {}): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const target = new URL(url);
    const options = opts.ca && target.protocol === "https:" ? { ca: [...rootCertificates, opts.ca] } : {};
    const req = (target.protocol === "https:" ? https : http).get(target, options, (res) => {
      const latencyMs = elapsed(started);
      const status = res.statusCode ?? 0;
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => {
        clearTimeout(timer);
        if (status < 200 || status > 299) return resolve({ up: false, status, latencyMs, reason: `HTTP ${status}`, body: undefined });
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ up: true, status, latencyMs, reason: undefined, body });
      });
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error("timeout"), { code: TIMEOUT })), timeoutMs);
    req.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ up: false, status: undefined, latencyMs: undefined, reason: failure(err, timeoutMs), body: undefined });
    });
  });
}

/** Opens a TCP connection to host:port and closes it; up when it was accepted. Never rejects. */
export function probeTcp(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect({ host, port });
    const done = (r: Omit<ProbeResult, "status" | "body">) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...r, status: undefined, body: undefined });
    };
    const timer = setTimeout(() => done({ up: false, latencyMs: undefined, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
    socket.once("connect", () => done({ up: true, latencyMs: elapsed(started), reason: undefined }));
    socket.once("error", (err: NodeJS.ErrnoException) => done({ up: false, latencyMs: undefined, reason: failure(err, timeoutMs) }));
  });
}

/** Milliseconds from a flag or variable, with `name` in the error. */
export function parseMs(name: string, raw: string | undefined, fallback: number, max = 600_000): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${name}: expected milliseconds from 1 to ${max}, got "${raw}"`);
  return n;
}
