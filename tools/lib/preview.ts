// Reads the document `pulumi preview --json` prints (Pulumi's display.PreviewDigest) and finds drift:
// every step that would change a resource. "same" steps, the refresh phase of `--refresh` and
// reads of external resources change nothing, so they are not drift.
import { z } from "zod";

const propertyDiff = z.object({ kind: z.string(), inputDiff: z.boolean().optional() });

const step = z.object({
  op: z.string(),
  urn: z.string(),
  diffReasons: z.array(z.string()).optional(),
  replaceReasons: z.array(z.string()).optional(),
  // the CLI writes "detailedDiff": null when the provider gave no detailed diff
  detailedDiff: z.record(z.string(), propertyDiff).nullish(),
});

const diagnostic = z.object({
  urn: z.string().optional(),
  message: z.string().optional(),
  severity: z.string().optional(),
});

const previewDigest = z.object({
  steps: z.array(step).optional(),
  diagnostics: z.array(diagnostic).optional(),
  changeSummary: z.record(z.string(), z.number()).optional(),
});

export type PreviewDigest = z.infer<typeof previewDigest>;

const NOT_DRIFT = new Set(["same", "refresh", "read", "read-replacement", "discard", "discard-replaced"]);

export interface PropertyChange {
  path: string;
  kind: string;
}

export interface DriftedResource {
  urn: string;
  type: string;
  name: string;
  op: string;
  properties: PropertyChange[];
}

/** Parses preview JSON; throws an Error saying what is wrong when it is not that document. */
export function parsePreview(text: string): PreviewDigest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(text.trim() ? "pulumi preview did not print JSON" : "pulumi preview printed nothing");
  }
  const parsed = previewDigest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`unexpected pulumi preview JSON at ${issue.path.join(".") || "top level"}: ${issue.message}`);
  }
  return parsed.data;
}

/** "urn:pulumi:<stack>::<project>::<parent$type>::<name>" -> the resource's own type and name. */
export function splitUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  if (parts.length < 4) return { type: "", name: urn };
  return { type: parts[2]!.split("$").at(-1)!, name: parts.slice(3).join("::") };
}

/** The error diagnostics of a preview, as text without the CLI's "error: " prefix. */
export function previewErrors(digest: PreviewDigest): string[] {
  return (digest.diagnostics ?? [])
    .filter((d) => d.severity === "error")
    .map((d) => (d.message ?? "").trim().replace(/^error: /, ""))
    .filter(Boolean);
}

/** Resources the preview would change, one entry per resource, in the preview's order. */
export function driftedResources(digest: PreviewDigest): DriftedResource[] {
  const byUrn = new Map<string, DriftedResource>();
  for (const s of digest.steps ?? []) {
    if (NOT_DRIFT.has(s.op)) continue;
    const existing = byUrn.get(s.urn);
    // a replacement may show as replace plus create-replacement/delete-replaced steps: report "replace"
    if (existing && s.op !== "replace") continue;
    const properties: PropertyChange[] = s.detailedDiff
      ? Object.entries(s.detailedDiff).map(([path, d]) => ({ path, kind: d.kind }))
      : [...new Set([...(s.diffReasons ?? []), ...(s.replaceReasons ?? [])])].map((path) => ({
          path,
          kind: s.replaceReasons?.includes(path) ? "update-replace" : "update",
        }));
    byUrn.set(s.urn, { urn: s.urn, ...splitUrn(s.urn), op: s.op, properties });
  }
  return [...byUrn.values()];
}
