import { z } from "zod";
import type { ScoreRow } from "../database";
import { ScoreTier } from "./score.enums";
import { ScoreFactorName, type ScoreFactor } from "./score.model";
import type { LeadScore } from "./score.type";

// Stored explanations outlive the code that wrote them: read them through a schema.
const storedFactors = z.array(z.object({ name: z.enum(ScoreFactorName), points: z.number().int(), explanation: z.string() }));

/** Maps a stored score to the GraphQL `LeadScore`. */
export function toLeadScore(row: ScoreRow): LeadScore {
  return {
    value: row.value,
    tier: z.enum(ScoreTier).parse(row.tier),
    factors: storedFactors.parse(row.factors),
    modelVersion: row.model_version,
    scoredAt: row.scored_at,
  };
}

/** The stored form of a score's factors. */
export function factorsJson(factors: readonly ScoreFactor[]): string {
  return JSON.stringify(factors.map(({ name, points, explanation }) => ({ name, points, explanation })));
}
