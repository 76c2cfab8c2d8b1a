import { registerEnumType } from "type-graphql";

/** A score's band: HOT at 70 and above, WARM at 40 and above, COLD below. */
export enum ScoreTier {
  HOT = "HOT",
  WARM = "WARM",
  COLD = "COLD",
}

registerEnumType(ScoreTier, { name: "ScoreTier", description: "A score's band: HOT >= 70, WARM >= 40, COLD below." });
