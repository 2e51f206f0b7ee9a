// One live HTTP check with a timeout: up when the answer is 2xx, with the time to the response headers.
export interface ProbeResult {
  up: boolean;
  /** Milliseconds until the response headers arrived (also for non-2xx answers). */
  latencyMs: number | undefined;
  /** Why it is down, in a few words. */
  reason: string | undefined;
  /** The parsed JSON body of a 2xx answer, when it was JSON. */
  body: unknown;
}

const CERT_ERRORS = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
]);

/** Why a fetch failed, in a few words. */
export function fetchFailure(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
  const code = e.cause?.code;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "host name not found";
  if (code && CERT_ERRORS.has(code)) return "certificate not trusted (set NODE_EXTRA_CA_CERTS to the stack's CA file)";
  return code ?? e.cause?.message ?? e.message;
}

export async function probe(url: string, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
    const latencyMs = Math.round(performance.now() - started);
    const text = await res.text();
    if (res.status < 200 || res.status > 299) return { up: false, latencyMs, reason: `HTTP ${res.status}`, body: undefined };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { up: true, latencyMs, reason: undefined, body };
  } catch (err) {
    return { up: false, latencyMs: undefined, reason: fetchFailure(err, timeoutMs), body: undefined };
  }
}

/** Milliseconds from a flag or variable, with `name` in the error. */
export function parseMs(name: string, raw: string | undefined, fallback: number, max = 600_000): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${name}: expected milliseconds from 1 to ${max}, got "${raw}"`);
  return n;
}
