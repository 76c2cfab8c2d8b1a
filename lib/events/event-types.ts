import { z } from "zod";

const scoreTier = z.enum(["HOT", "WARM", "COLD"]);
const leadStatus = z.enum(["NEW", "CONTACTED", "QUALIFIED", "APPOINTMENT_SET", "UNDER_CONTRACT", "CLOSED_WON", "CLOSED_LOST"]);

/** The lead fields every consumer may rely on (scoring, analytics, billing). */
const leadSnapshot = z.object({
  ghlContactId: z.string().nullable(),
  firstName: z.string(),
  lastName: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  source: z.string(),
  status: leadStatus,
  tags: z.array(z.string()),
  budgetMin: z.number().int().nullable(),
  budgetMax: z.number().int().nullable(),
  timeline: z.string(),
  financing: z.string(),
  propertyTypes: z.array(z.string()),
  preferredAreas: z.array(z.string()),
  bedroomsMin: z.number().int().nullable(),
  assignedTo: z.string().nullable(),
  doNotContact: z.boolean(),
  /** Value of the lead's GHL opportunity, whole dollars. Events appended before it was carried read as null. */
  dealValue: z.number().int().nullable().default(null),
  version: z.number().int(),
});

/**
 * The closed set of event types, each with the schema of its payload. Adding an event
 * means adding it here; consumers get a typed, validated payload or an error.
 */
export const eventPayloadSchemas = {
  LeadCreated: z.object({ lead: leadSnapshot }),
  LeadUpdated: z.object({ lead: leadSnapshot, changed: z.array(z.string()).min(1) }),
  LeadStatusChanged: z.object({ from: leadStatus, to: leadStatus, version: z.number().int() }),
  LeadNoteAdded: z.object({ noteId: z.string(), author: z.string() }),
  LeadDeleted: z.object({ ghlContactId: z.string().nullable() }),
  /** A message from or to the lead (aggregate: the lead). Inbound ones are analyzed by intelligence. */
  LeadMessageReceived: z.object({
    messageId: z.string().min(1).max(128),
    direction: z.enum(["INBOUND", "OUTBOUND"]),
    channel: z.string(),
    body: z.string(),
  }),
  /** Intelligence read a message (aggregate: the lead); billing meters these. */
  MessageAnalyzed: z.object({ insightId: z.string(), provider: z.string(), intent: z.string(), fallbackReason: z.string().nullable() }),
  /** The bridge finished with a GHL webhook (aggregate: the webhook id). */
  WebhookProcessed: z.object({
    webhookType: z.string(),
    latencyMs: z.number().nonnegative(),
    outcome: z.enum(["APPLIED", "IGNORED", "FAILED", "DEAD"]),
  }),
  /** Intelligence scored a lead (aggregate: the lead); `previousTier` is null for a first score. */
  LeadScored: z.object({
    scoreId: z.string(),
    value: z.number().int().min(0).max(100),
    tier: scoreTier,
    previousTier: scoreTier.nullable(),
    modelVersion: z.string(),
    revision: z.number().int(),
  }),
} as const;

/** Name of an event type. */
export type EventType = keyof typeof eventPayloadSchemas;
/** The payload of event type `T`. */
export type EventPayload<T extends EventType> = z.infer<(typeof eventPayloadSchemas)[T]>;

/**
 * An event about to be appended. `occurredAt` defaults to the appending transaction's time;
 * producers set it when they record something that happened earlier (an import, a seed).
 */
export type NewEvent = {
  [T in EventType]: { type: T; tenantId: string; aggregateId: string; payload: EventPayload<T>; occurredAt?: Date };
}[EventType];

/** An event as stored in the log, with its position. */
export type StoredEvent = NewEvent & {
  id: number;
  /** Transaction id of the appending transaction (xid8 as text): the log's real order. */
  tx: string;
  occurredAt: Date;
  producer: string;
};

/** Type guard for a known event type name. */
export function isEventType(value: unknown): value is EventType {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(eventPayloadSchemas, value);
}

/** Validates an untrusted payload as event type `type`, throwing a message that names the type. */
export function parseEventPayload<T extends EventType>(type: T, payload: unknown): EventPayload<T> {
  const result = eventPayloadSchemas[type].safeParse(payload);
  if (!result.success) throw new Error(`invalid ${type} payload: ${result.error.message}`);
  return result.data as EventPayload<T>;
}
