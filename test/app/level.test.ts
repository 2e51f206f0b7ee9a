// The consciousness-level rules (app/src/lib/level.ts) alone: pure, deterministic arithmetic.
import { describe, expect, it } from "vitest";
import { EVOLVE_RATE, SYNC_PULL, evolve, networkView, syncToward } from "../../app/src/lib/level.ts";
import { MAX_LEVEL } from "../../app/src/config.ts";

describe("evolve: each step closes 10% of the gap to 10, scaled by the stimulus", () => {
  it.each([
    [0, 1, 1],
    [1, 1, 1.9],
    [5, 1, 5.5],
    [9.9, 1, 9.91],
    [10, 1, 10],
    [4, 0.5, 4.3],
    [4, 0, 4],
  ])("evolve(%d, stimulus %d) = %d", (level, stimulus, expected) => {
    expect(evolve(level, stimulus)).toBe(expected);
  });

  it("uses stimulus 1 by default and the published rate", () => {
    expect(EVOLVE_RATE).toBe(0.1);
    expect(evolve(2)).toBe(evolve(2, 1));
  });

  it("gives the same sequence every time, rounded to 4 decimals, approaching but never passing 10", () => {
    const run = (): number[] => {
      const levels = [0];
      for (let i = 0; i < 60; i++) levels.push(evolve(levels.at(-1)!));
      return levels;
    };
    const a = run();
    expect(run()).toEqual(a);
    expect(a.slice(0, 4)).toEqual([0, 1, 1.9, 2.71]);
    for (const l of a) expect(Math.round(l * 10_000) / 10_000).toBe(l);
    for (let i = 1; i < a.length; i++) expect(a[i]).toBeGreaterThanOrEqual(a[i - 1]!);
    expect(Math.max(...a)).toBeLessThanOrEqual(MAX_LEVEL);
    expect(a.at(-1)).toBe(9.9821); // about 10 - 10 * 0.9^60, rounded at every step
  });

  it("keeps levels in [0, 10] even from out-of-range input", () => {
    expect(evolve(12)).toBe(10);
    expect(evolve(-3, 0)).toBe(0);
  });
});

describe("networkView: mean level and coherence of the cells up", () => {
  it("is empty, mean 0 and fully coherent with no cells", () => {
    expect(networkView([])).toEqual({ cells: [], mean_level: 0, coherence: 1 });
  });

  it("sorts cells by id and averages their levels", () => {
    const view = networkView([
      { cell_id: "nous", consciousness_level: 6 },
      { cell_id: "alpha", consciousness_level: 4 },
    ]);
    expect(view.cells.map((c) => c.cell_id)).toEqual(["alpha", "nous"]);
    expect(view.mean_level).toBe(5);
  });

  it.each([
    [[3, 3, 3], 1],
    [[4, 6], 0.8], // standard deviation 1 of a possible 5
    [[0, 10], 0], // the widest spread
    [[1, 2, 3, 4], 0.7764], // 1 - sqrt(1.25) / 5
  ])("levels %j have coherence %d (1 - standard deviation / 5)", (levels, coherence) => {
    const view = networkView(levels.map((l, i) => ({ cell_id: `c${i}`, consciousness_level: l })));
    expect(view.coherence).toBe(coherence);
  });

  it("does not change its input", () => {
    const input = [
      { cell_id: "b", consciousness_level: 1 },
      { cell_id: "a", consciousness_level: 2 },
    ];
    networkView(input);
    expect(input.map((c) => c.cell_id)).toEqual(["b", "a"]);
  });
});

describe("syncToward: a quarter of the way to the network mean", () => {
  it.each([
    [2, 6, 3],
    [8, 4, 7],
    [5, 5, 5],
    [0, 10, 2.5],
  ])("syncToward(%d, mean %d) = %d", (level, mean, expected) => {
    expect(syncToward(level, mean)).toBe(expected);
  });

  it("uses the published pull", () => {
    expect(SYNC_PULL).toBe(0.25);
  });
});
