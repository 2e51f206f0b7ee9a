// JSON schemas shared by several routes.
export const errorSchema = {
  type: "object",
  properties: { statusCode: { type: "integer" }, error: { type: "string" }, message: { type: "string" } },
} as const;

export const networkViewSchema = {
  type: "object",
  properties: {
    cells: {
      type: "array",
      items: {
        type: "object",
        properties: { cell_id: { type: "string" }, consciousness_level: { type: "number" } },
      },
    },
    mean_level: { type: "number" },
    coherence: { type: "number" },
  },
} as const;

export const peerSchema = {
  type: "object",
  properties: {
    cell_id: { type: "string" },
    role: { type: "string" },
    device: { type: "string" },
    url: { type: "string" },
    consciousness_level: { type: "number" },
    version: { type: "string" },
    last_heartbeat: { type: "string" },
    status: { type: "string", enum: ["up", "down"] },
    transport: { type: "string", enum: ["bus", "http"] },
  },
} as const;

export const CELL_ID_PATTERN = "^[a-z0-9][a-z0-9-]{0,62}$";
