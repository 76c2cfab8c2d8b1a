import type { Kysely, Transaction } from "kysely";
import type { StoredEvent } from "../../../lib/events/event-types";
import { setTransactionTenant } from "../../../lib/db/tenant";
import { startEventConsumer, type EventConsumer } from "../../../lib/events/event-consumer";
import { isUuid } from "../../../lib/ids";
import type { Logger } from "../../../lib/logger";
import type { IntelligenceDatabase } from "./database";
import type { LeadEvaluator } from "./evaluation/lead-evaluator";
import type { LeadFeatures } from "./features/lead-features";
import { FEATURE_EVENT_TYPES, applyFeatureEvent, isFeatureEvent, type FeatureEvent } from "./features/lead-features.events";
import { deleteLeadIntelligence, findFeatures, saveFeatures } from "./features/lead-features.repository";
import type { MessageAnalysis, MessageAnalyzer } from "./insight/analyzer/message-analyzer";
import { MessageChannel } from "./insight/insight.enums";
import { MAX_MESSAGE_BODY } from "./insight/insight.inputs";
import { recordAnalysis } from "./insight/insight.service";
import { recordScores } from "./score/score.service";

/** The consumer's name in the log's offsets table. */
const INTELLIGENCE_CONSUMER = "intelligence";

type MessageEvent = Extract<StoredEvent, { type: "LeadMessageReceived" }>;
type RelevantEvent = FeatureEvent | MessageEvent;

const CHANNELS = new Set<string>(Object.values(MessageChannel));

function isRelevant(event: StoredEvent): event is RelevantEvent {
  // Aggregate ids of lead events are lead uuids; anything else cannot be a lead of ours.
  if (!isUuid(event.aggregateId)) return false;
  return isFeatureEvent(event) || (event.type === "LeadMessageReceived" && event.payload.direction === "INBOUND");
}

function channelOf(value: string): MessageChannel {
  return CHANNELS.has(value) ? (value as MessageChannel) : MessageChannel.OTHER;
}

/** What a batch did to one tenant's leads. */
interface TenantChanges {
  features: Map<string, LeadFeatures>;
  changed: Set<string>;
  deleted: Set<string>;
  /** Revision each lead had before the batch: a lead is rescored only when it moved. */
  revisionBefore: Map<string, number>;
}

/** What {@link applyTenantEvents} needs. */
interface Dependencies {
  evaluator: LeadEvaluator;
  analyzer: MessageAnalyzer;
  logger: Logger;
}

/** Analyses run at once per batch: enough to hide a provider's latency, few enough to respect its rate limits. */
const ANALYSIS_CONCURRENCY = 8;

/**
 * Reads every inbound message of a batch, `ANALYSIS_CONCURRENCY` at a time: the analyses are
 * independent of each other and of the lead's state, and a provider takes seconds each.
 * Bodies beyond the `analyzeMessage` limit are cut to it, as nothing checked them upstream.
 */
async function analyzeAll(events: readonly RelevantEvent[], knownLeads: ReadonlySet<string>, analyzer: MessageAnalyzer): Promise<Map<MessageEvent, MessageAnalysis>> {
  // A message for a lead intelligence never saw has nothing to attach to: not worth a provider call.
  const messages = events.filter((event): event is MessageEvent => event.type === "LeadMessageReceived" && knownLeads.has(event.aggregateId.toLowerCase()));
  const analyses = new Map<MessageEvent, MessageAnalysis>();
  let next = 0;
  async function worker(): Promise<void> {
    for (let message = messages[next++]; message; message = messages[next++]) {
      analyses.set(message, await analyzer.analyze({ body: message.payload.body.slice(0, MAX_MESSAGE_BODY), channel: channelOf(message.payload.channel) }));
    }
  }
  await Promise.all(Array.from({ length: Math.min(ANALYSIS_CONCURRENCY, messages.length) }, worker));
  return analyses;
}

async function applyTenantEvents(trx: Transaction<IntelligenceDatabase>, tenantId: string, events: readonly RelevantEvent[], deps: Dependencies): Promise<void> {
  await setTransactionTenant(trx, tenantId);
  const ids = [...new Set(events.map((event) => event.aggregateId.toLowerCase()))];
  // Analyses come first and without row locks: a provider may take seconds, and
  // `analyzeMessage` must not wait on them for the same leads.
  const messageLeads = [...new Set(events.filter((event) => event.type === "LeadMessageReceived").map((event) => event.aggregateId.toLowerCase()))];
  const knownLeads = new Set([
    ...(await findFeatures(trx, tenantId, messageLeads)).map((f) => f.leadId),
    ...events.filter((event) => event.type === "LeadCreated").map((event) => event.aggregateId.toLowerCase()),
  ]);
  const analyses = await analyzeAll(events, knownLeads, deps.analyzer);
  // Locked: `analyzeMessage` read-modify-writes the same rows.
  const loaded = await findFeatures(trx, tenantId, ids, { forUpdate: true });
  const state: TenantChanges = {
    features: new Map(loaded.map((f) => [f.leadId, f])),
    changed: new Set(),
    deleted: new Set(),
    revisionBefore: new Map(loaded.map((f) => [f.leadId, f.revision])),
  };
  for (const event of events) {
    const leadId = event.aggregateId.toLowerCase();
    const current = state.features.get(leadId) ?? null;
    if (event.type === "LeadMessageReceived") {
      const analysis = analyses.get(event);
      // A message for a lead never seen (or deleted): nothing to attach it to.
      if (!current || !analysis) continue;
      const recorded = await recordAnalysis(trx, current, { channel: channelOf(event.payload.channel), messageId: event.payload.messageId, analysis });
      if (recorded) {
        state.features.set(leadId, recorded.features);
        state.changed.add(leadId);
      }
      continue;
    }
    const change = applyFeatureEvent(current, event);
    if (change.kind === "changed") {
      state.features.set(leadId, change.features);
      state.changed.add(leadId);
      state.deleted.delete(leadId);
    } else if (change.kind === "deleted") {
      state.features.delete(leadId);
      state.changed.delete(leadId);
      state.deleted.add(leadId);
    }
  }
  await deleteLeadIntelligence(trx, tenantId, [...state.deleted]);
  const changed = [...state.changed].map((id) => state.features.get(id)!);
  await saveFeatures(trx, changed);
  const moved = changed.filter((f) => f.revision !== state.revisionBefore.get(f.leadId));
  // Evaluated on the batch's own transaction: its reads are a statement each there, where
  // the pool would wrap each in a transaction of its own; the batch holds its locks either way.
  await recordScores(trx, deps.evaluator, tenantId, moved);
}

/**
 * Keeps intelligence's read model in step with the log: lead events update the lead's
 * features, inbound messages are analyzed into insights, and every lead whose features
 * moved is rescored (`LeadScored`), all in the transaction that saves the log position, so
 * a batch is applied exactly once. Tenants are applied one at a time, each under its own
 * row-level-security setting.
 */
export function startIntelligenceConsumer(
  db: Kysely<IntelligenceDatabase>,
  connectionString: string,
  deps: Dependencies,
  options: { pollMs?: number } = {},
): Promise<EventConsumer> {
  return startEventConsumer<IntelligenceDatabase>({
    name: INTELLIGENCE_CONSUMER,
    db,
    connectionString,
    logger: deps.logger,
    appendsEvents: true,
    // Scores and webhook outcomes, two of every three events, are nothing to it.
    wakeOn: [...FEATURE_EVENT_TYPES, "LeadMessageReceived"],
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    async handle(events, trx) {
      const byTenant = new Map<string, RelevantEvent[]>();
      for (const event of events) {
        if (!isRelevant(event)) continue;
        const list = byTenant.get(event.tenantId) ?? [];
        list.push(event);
        byTenant.set(event.tenantId, list);
      }
      for (const [tenantId, tenantEvents] of byTenant) await applyTenantEvents(trx, tenantId, tenantEvents, deps);
    },
  });
}
