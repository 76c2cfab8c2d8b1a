import { registerEnumType } from "type-graphql";

/** A score's band: HOT at 70 and above, WARM at 40 and above, COLD below. */
export enum ScoreTier {
  HOT = "HOT",
  WARM = "WARM",
  COLD = "COLD",
}

registerEnumType(ScoreTier, { name: "ScoreTier", description: "A score's band: HOT >= 70, WARM >= 40, COLD below." });

/** Type guard for a {@link ScoreTier} name (as stored, or as an event carries it). */
export function isScoreTier(value: unknown): value is ScoreTier {
  return value === ScoreTier.HOT || value === ScoreTier.WARM || value === ScoreTier.COLD;
}

/** Tiers from coldest to hottest: a tier "at least" another has an index at least as high. */
export const TIERS_BY_HEAT: readonly ScoreTier[] = [ScoreTier.COLD, ScoreTier.WARM, ScoreTier.HOT];
