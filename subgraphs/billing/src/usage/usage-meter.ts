import { registerEnumType } from "type-graphql";
import type { StoredEvent } from "../../../../lib/events/event-types";

/** What billing counts, each fed by one kind of event in the log. */
export enum UsageMeter {
  LEADS_CREATED = "LEADS_CREATED",
  LEADS_SCORED = "LEADS_SCORED",
  MESSAGES_ANALYZED = "MESSAGES_ANALYZED",
  WEBHOOKS_PROCESSED = "WEBHOOKS_PROCESSED",
}
registerEnumType(UsageMeter, {
  name: "UsageMeter",
  description: "A billed quantity: leads created, AI scorings, messages analyzed, GHL webhooks processed.",
});

/** Every meter, in the order invoices and usage list them. */
export const USAGE_METERS: readonly UsageMeter[] = [UsageMeter.LEADS_CREATED, UsageMeter.LEADS_SCORED, UsageMeter.MESSAGES_ANALYZED, UsageMeter.WEBHOOKS_PROCESSED];

/** Type guard for a {@link UsageMeter} name (as stored). */
export function isUsageMeter(value: unknown): value is UsageMeter {
  return USAGE_METERS.some((meter) => meter === value);
}

/** Human names for invoice lines. */
export const METER_LABELS: Readonly<Record<UsageMeter, string>> = {
  LEADS_CREATED: "Leads created",
  LEADS_SCORED: "AI lead scorings",
  MESSAGES_ANALYZED: "Messages analyzed",
  WEBHOOKS_PROCESSED: "GHL webhooks processed",
};

/**
 * The meter an event counts on, or null when it is not billed. A webhook that failed or
 * went to the dead-letter queue did no work for the team, so it is not charged.
 */
export function meterOf(event: StoredEvent): UsageMeter | null {
  switch (event.type) {
    case "LeadCreated":
      return UsageMeter.LEADS_CREATED;
    case "LeadScored":
      return UsageMeter.LEADS_SCORED;
    case "MessageAnalyzed":
      return UsageMeter.MESSAGES_ANALYZED;
    case "WebhookProcessed":
      return event.payload.outcome === "APPLIED" || event.payload.outcome === "IGNORED" ? UsageMeter.WEBHOOKS_PROCESSED : null;
    default:
      return null;
  }
}
