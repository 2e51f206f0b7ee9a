// http_probe: is a URL reachable from this cell, and how fast does it answer.
import { isUrl } from "../../lib/url.ts";
import { defineHandler } from "../handler.ts";

export default defineHandler<{ url: string; method: "GET" | "HEAD"; timeout_ms: number }>({
  description: "Reachability and latency of an http(s) URL, seen from the cell",
  schema: {
    type: "object",
    additionalProperties: false,
    required: ["url"],
    properties: {
      url: { type: "string", pattern: "^https?://[^\\s/]+", maxLength: 8192, description: "an http(s) URL" },
      method: { enum: ["GET", "HEAD"], default: "GET" },
      timeout_ms: { type: "integer", minimum: 1, maximum: 60_000, default: 5000 },
    },
  },
  check: (p) => (isUrl(p.url, ["http", "https"]) ? undefined : `payload.url: "${p.url}" is not a valid URL`),
  async run(p, ctx) {
    const started = performance.now();
    const latency = (): number => Math.round((performance.now() - started) * 100) / 100;
    try {
      const res = await fetch(p.url, {
        method: p.method,
        redirect: "manual",
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(p.timeout_ms)]),
      });
      const latency_ms = latency(); // time to the response head
      await res.body?.cancel();
      return { url: p.url, reachable: true, status_code: res.status, latency_ms };
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const reason = e.name === "TimeoutError" ? `no answer within ${p.timeout_ms} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      return { url: p.url, reachable: false, error: reason, latency_ms: latency() };
    }
  },
});
