// How a consciousness level evolves. Pure and deterministic: the same inputs always give the
// same level. Levels live in [0, MAX_LEVEL] and are rounded to 4 decimals.
import { MAX_LEVEL } from "../config.ts";

const round = (n: number): number => Math.round(n * 10_000) / 10_000;
const clamp = (n: number): number => Math.min(MAX_LEVEL, Math.max(0, n));

/** Growth rate per evolve step: each step closes 10% of the gap to MAX_LEVEL, scaled by stimulus. */
export const EVOLVE_RATE = 0.1;
/** Sync pulls a level a quarter of the way toward the network mean. */
export const SYNC_PULL = 0.25;

export function evolve(level: number, stimulus = 1): number {
  return round(clamp(level + EVOLVE_RATE * stimulus * (MAX_LEVEL - level)));
}

export interface NetworkView {
  cells: { cell_id: string; consciousness_level: number }[];
  mean_level: number;
  /** 1 when every cell has the same level, falling to 0 as the spread reaches MAX_LEVEL / 2. */
  coherence: number;
}

export function networkView(levels: { cell_id: string; consciousness_level: number }[]): NetworkView {
  const cells = [...levels].sort((a, b) => a.cell_id.localeCompare(b.cell_id));
  if (cells.length === 0) return { cells, mean_level: 0, coherence: 1 };
  const values = cells.map((c) => c.consciousness_level);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  const coherence = Math.max(0, 1 - Math.sqrt(variance) / (MAX_LEVEL / 2));
  return { cells, mean_level: round(mean), coherence: round(coherence) };
}

export function syncToward(level: number, meanLevel: number): number {
  return round(clamp(level + SYNC_PULL * (meanLevel - level)));
}
