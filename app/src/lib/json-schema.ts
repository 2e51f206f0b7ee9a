// JSON Schema validation outside HTTP routes (task payloads, answers from other services), with
// ajv, the validator fastify already loads for route schemas: no second validation library in
// memory. Defaults in a schema are filled in; messages name the field ("payload.delay_ms: ...").
import { Ajv, type ErrorObject } from "ajv";

const ajv = new Ajv({ useDefaults: true, allErrors: false, strict: true });

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

function describe(e: ErrorObject, root: string): string {
  const path = root + e.instancePath.split("/").slice(1).map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join("");
  if (e.keyword === "additionalProperties") return `${path}: unknown field "${String(e.params.additionalProperty)}"`;
  if (e.keyword === "enum") return `${path}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
  return `${path}: ${e.message ?? "is invalid"}`;
}

/** A checker for `schema`; `root` names the checked value in messages. The value is not changed. */
export function checker<T>(schema: Record<string, unknown>, root: string): (value: unknown) => Checked<T> {
  const validate = ajv.compile(schema);
  return (value) => {
    const copy = structuredClone(value); // defaults are written into the copy, never the caller's object
    return validate(copy) ? { ok: true, value: copy as T } : { ok: false, message: describe(validate.errors![0]!, root) };
  };
}
