import type { Kysely } from "kysely";
import { z } from "zod";
import type { Identity } from "../../../../lib/auth/identity";
import { withTenant } from "../../../../lib/db/tenant";
import { appendEvent } from "../../../../lib/events/event-log";
import { UserErrorCode, invalidInput, userError } from "../../../../lib/graphql/user-error";
import { isUuid, uuidv7 } from "../../../../lib/ids";
import type { InsightRow, IntelligenceDatabase } from "../database";
import type { LeadEvaluator } from "../evaluation/lead-evaluator";
import type { LeadFeatures } from "../features/lead-features";
import { applyAnalysis } from "../features/lead-features.events";
import { findFeatures, saveFeatures } from "../features/lead-features.repository";
import { toLeadScore } from "../score/score.mapper";
import { INTELLIGENCE_PRODUCER, evaluateEarly, recordScores } from "../score/score.service";
import type { MessageAnalysis, MessageAnalyzer } from "./analyzer/message-analyzer";
import type { MessageChannel } from "./insight.enums";
import { MAX_MESSAGE_BODY, type AnalyzeMessageInput } from "./insight.inputs";
import { toInsight } from "./insight.mapper";
import type { AnalyzeMessagePayload } from "./insight.payloads";
import { insertInsight } from "./insight.repository";

type Db = Kysely<IntelligenceDatabase>;

/** Where an analyzed message came from: a log event (idempotent by id) or a direct call. */
export interface AnalyzedMessage {
  channel: MessageChannel;
  /** The message's id in its source (GHL), or null for `analyzeMessage` calls. */
  messageId: string | null;
  analysis: MessageAnalysis;
}

/**
 * Stores an analysis and returns the lead's features updated by it, in the caller's
 * tenant transaction, with `MessageAnalyzed` appended. Returns null when the message was
 * analyzed before (the same log event read again); the caller saves the features.
 */
export async function recordAnalysis(trx: Db, features: LeadFeatures, message: AnalyzedMessage): Promise<{ insight: InsightRow; features: LeadFeatures } | null> {
  const { analysis } = message;
  const insight = await insertInsight(trx, {
    id: uuidv7(),
    tenant_id: features.tenantId,
    lead_id: features.leadId,
    message_id: message.messageId,
    channel: message.channel,
    intent: analysis.intent,
    sentiment: analysis.sentiment,
    urgency: analysis.urgency,
    extracted_budget_max: analysis.extracted.budgetMax,
    extracted_bedrooms: analysis.extracted.bedrooms,
    extracted_areas: analysis.extracted.areas,
    extracted_timeline: analysis.extracted.timeline,
    summary: analysis.summary,
    provider: analysis.provider,
    fallback_reason: analysis.fallbackReason,
  });
  if (!insight) return null;
  await appendEvent(trx, INTELLIGENCE_PRODUCER, {
    type: "MessageAnalyzed",
    tenantId: features.tenantId,
    aggregateId: features.leadId,
    payload: { insightId: insight.id, provider: insight.provider, intent: insight.intent, fallbackReason: insight.fallback_reason },
  });
  return { insight, features: applyAnalysis(features, analysis) };
}

const body = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(MAX_MESSAGE_BODY, `must be at most ${MAX_MESSAGE_BODY.toLocaleString("en-US")} characters`);

const failed = (userErrors: AnalyzeMessagePayload["userErrors"]): AnalyzeMessagePayload => ({ insight: null, lead: null, score: null, userErrors });

/**
 * `analyzeMessage`: reads the message and evaluates the lead's new features outside any
 * transaction (a provider may take seconds), then stores the insight, the features and the
 * new score in one transaction under the lead's row lock, so concurrent writers of one lead
 * queue instead of losing updates (one that finds the lead moved evaluates it again there).
 */
export async function analyzeMessage(
  db: Db,
  analyzer: MessageAnalyzer,
  evaluator: LeadEvaluator,
  identity: Identity,
  input: AnalyzeMessageInput,
): Promise<AnalyzeMessagePayload> {
  if (!isUuid(input.leadId)) return failed([userError(UserErrorCode.INVALID_INPUT, "is not a valid lead id", "leadId")]);
  const text = body.safeParse(input.body);
  if (!text.success) return failed(invalidInput(text.error.issues.map((issue) => ({ ...issue, path: ["body"] }))));
  const tenantId = identity.tenant;
  const leadId = input.leadId.toLowerCase();
  const [known] = await withTenant(db, tenantId, (trx) => findFeatures(trx, tenantId, [leadId]));
  if (!known) return failed([userError(UserErrorCode.NOT_FOUND, "no lead with this id", "leadId")]);

  const analysis = await analyzer.analyze({ body: text.data, channel: input.channel });
  const early = await evaluateEarly(evaluator, tenantId, [applyAnalysis(known, analysis)]);
  return withTenant(db, tenantId, async (trx) => {
    // Re-read under the row lock: events and other analyses may have moved the lead meanwhile.
    const [current] = await findFeatures(trx, tenantId, [leadId], { forUpdate: true });
    if (!current) return failed([userError(UserErrorCode.NOT_FOUND, "no lead with this id", "leadId")]);
    const recorded = await recordAnalysis(trx, current, { channel: input.channel, messageId: null, analysis });
    if (!recorded) throw new Error("an insight without a message id cannot be a duplicate");
    await saveFeatures(trx, [recorded.features]);
    const score = (await recordScores(trx, evaluator, tenantId, [recorded.features], { early })).get(leadId);
    return { insight: toInsight(recorded.insight), lead: { id: leadId }, score: score ? toLeadScore(score) : null, userErrors: [] };
  });
}
