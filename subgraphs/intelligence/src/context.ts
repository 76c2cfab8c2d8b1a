import type { Kysely } from "kysely";
import type { EventTail } from "../../../lib/events/event-tail";
import type { IdentityContext } from "../../../lib/server/federated-schema";
import type { IntelligenceDatabase } from "./database";
import type { LeadEvaluator } from "./evaluation/lead-evaluator";
import type { MessageAnalyzer } from "./insight/analyzer/message-analyzer";
import type { IntelligenceLoaders } from "./intelligence.loader";

/** Per-request context of the intelligence subgraph. */
export interface IntelligenceContext extends IdentityContext {
  db: Kysely<IntelligenceDatabase>;
  loaders: IntelligenceLoaders;
  evaluator: LeadEvaluator;
  analyzer: MessageAnalyzer;
  /** The process's live tail of the events log, which `leadScored` reads. */
  events: EventTail;
}
