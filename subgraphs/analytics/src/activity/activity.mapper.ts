import type { LeadStatus } from "../../../leads/src/lead/lead.enums";
import type { ScoreTier } from "../../../intelligence/src/score/score.enums";
import type { LeadActivityRow } from "../database";
import type { ActivityKind, LeadActivity } from "./activity.type";

/** Maps a stored activity row; the projection writes only values of the enums. */
export function toActivity(row: LeadActivityRow): LeadActivity {
  return {
    id: row.id,
    kind: row.kind as ActivityKind,
    occurredAt: row.occurred_at,
    fromStatus: row.from_status as LeadStatus | null,
    toStatus: row.to_status as LeadStatus | null,
    score: row.score,
    tier: row.tier as ScoreTier | null,
    previousTier: row.previous_tier as ScoreTier | null,
    channel: row.channel,
    author: row.author,
    changedFields: row.changed_fields,
  };
}
