// Back-to-back rounds for figures that compare setups on this shared VM, whose speed drifts over
// seconds (CPU stolen by the hypervisor): each round runs every setup once, the order rotating
// from round to round, so a ratio taken within one round compares like with like.

/** Runs `rounds` rounds of `steps`, each round starting one step later than the one before. */
export async function rotatingRounds(rounds: number, steps: (() => unknown)[]): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < steps.length; i++) await steps[(round + i) % steps.length]!();
  }
}

/** Each round's ratio of `over` to `under` (the two lists in round order). */
export const perRound = (over: number[], under: number[]): number[] => over.map((v, i) => v / under[i]!);

/** Ratios as a list for a note, e.g. "1.2, 0.9, 3.4". */
export const ratioList = (v: number[], digits = 1): string => v.map((r) => r.toFixed(digits)).join(", ");
