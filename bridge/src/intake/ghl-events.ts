import { z } from "zod";
import { isTenantId } from "../../../lib/ids";

/*
 * Typed shapes of GHL's webhook deliveries: one flat JSON object, `type` the discriminator,
 * `locationId` the tenant. GHL omits every field without a value, so apart from those two
 * every field is optional; unknown fields are kept (GHL adds fields without notice, and the
 * stored payload must stay whole).
 */

/** A GHL location id that is also a valid tenant id. */
export const tenantIdSchema = z.string().refine(isTenantId, "must be a GHL location id (1-64 of A-Z a-z 0-9 _ -)");

/** An ISO-8601 instant, as GHL writes `timestamp`, `dateAdded` and friends. */
const instant = z.string().refine((text) => !Number.isNaN(Date.parse(text)), "must be an ISO-8601 date-time");

const text = z.string().optional();
const texts = z.array(z.string()).optional();

/** Fields of every delivery. */
const envelopeFields = {
  locationId: tenantIdSchema,
  /** GHL's idempotency key: retries of one delivery carry the same one. */
  webhookId: text,
  /** When GHL emitted the delivery. */
  timestamp: instant.optional(),
  appId: text,
  versionId: text,
};

/**
 * What intake needs of every delivery, whatever its type, before it can judge freshness and
 * store it: a type, a tenant, an idempotency key and a timestamp.
 */
export const ghlEnvelopeSchema = z.looseObject({
  type: z.string().min(1).max(100),
  locationId: tenantIdSchema,
  webhookId: z.string().min(1).max(200),
  timestamp: instant,
});

/** The envelope of a signed delivery. */
export type GhlEnvelope = z.infer<typeof ghlEnvelopeSchema>;

/**
 * An app install or removal for a whole company (an agency-level install, `installType:
 * "Company"`): no `locationId`, so no tenant. There is nothing to provision, but GHL never
 * sends a refused delivery again, so intake keeps it (as IGNORED) rather than answer 400.
 */
export const companyAppEventSchema = z.looseObject({
  type: z.enum(["INSTALL", "UNINSTALL"]),
  locationId: z.never().optional(),
  companyId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a GHL company id (1-64 of A-Z a-z 0-9 _ -)"),
  webhookId: z.string().min(1).max(200),
  timestamp: instant,
});

/** A company-level app install or removal. */
export type CompanyAppEvent = z.infer<typeof companyAppEventSchema>;

/**
 * The inbox partition a company-level delivery is kept under. The `:` cannot occur in a
 * tenant id, so no location's tenant can ever read these rows, nor they a tenant's.
 */
export function companyInboxKey(companyId: string): string {
  return `company:${companyId}`;
}

/** One custom field value: ids only (names come from the location's custom-field catalog). */
export const customFieldValueSchema = z.looseObject({ id: z.string(), value: z.json().optional() });

/** Per-channel do-not-disturb state; the set of channels is open-ended (SMS, Call, Email, GMB, FB, WhatsApp, ...). */
export const dndSettingsSchema = z.record(z.string(), z.looseObject({ status: text, message: text, code: text }));

const contactFields = {
  ...envelopeFields,
  /** The contact's GHL id. */
  id: text,
  firstName: text,
  lastName: text,
  name: text,
  email: text,
  phone: text,
  address1: text,
  city: text,
  state: text,
  postalCode: text,
  country: text,
  companyName: text,
  website: text,
  source: text,
  dateAdded: text,
  dateOfBirth: text,
  dnd: z.boolean().optional(),
  dndSettings: dndSettingsSchema.optional(),
  /** The FULL current list of tags, not a diff. */
  tags: texts,
  assignedTo: text,
  customFields: z.array(customFieldValueSchema).optional(),
};

/** Contact deliveries; `id` is the contact. */
export const contactEventSchema = z.looseObject({
  type: z.enum(["ContactCreate", "ContactUpdate", "ContactDelete", "ContactDndUpdate", "ContactTagUpdate"]),
  ...contactFields,
});

/**
 * The opportunity statuses the bridge acts on. Intake takes any string here, as for every
 * value GHL may extend (appointment statuses, message directions): GHL never retries a 400,
 * so refusing a new value would lose the event. Processing ignores what it does not know,
 * with the value in the reason.
 */
export const OPPORTUNITY_STATUSES = ["open", "won", "lost", "abandoned"] as const;

/** Opportunity deliveries; no previous stage is sent. */
export const opportunityEventSchema = z.looseObject({
  type: z.enum([
    "OpportunityCreate",
    "OpportunityStatusUpdate",
    "OpportunityStageUpdate",
    "OpportunityMonetaryValueUpdate",
    "OpportunityUpdate",
    "OpportunityDelete",
    "OpportunityAssignedToUpdate",
  ]),
  ...envelopeFields,
  id: text,
  contactId: text,
  name: text,
  pipelineId: text,
  pipelineStageId: text,
  monetaryValue: z.number().optional(),
  status: text,
  assignedTo: text,
  source: text,
  dateAdded: text,
});

/** The appointment statuses the bridge knows; intake takes any string (see {@link OPPORTUNITY_STATUSES}). */
export const APPOINTMENT_STATUSES = ["new", "confirmed", "cancelled", "showed", "noshow", "invalid"] as const;

/** The appointment nested in an appointment delivery. */
export const appointmentSchema = z.looseObject({
  id: text,
  contactId: text,
  calendarId: text,
  groupId: text,
  title: text,
  address: text,
  appointmentStatus: text,
  assignedUserId: text,
  users: texts,
  notes: text,
  source: text,
  startTime: text,
  endTime: text,
  dateAdded: text,
  dateUpdated: text,
});

/**
 * Appointment deliveries; everything is under `appointment`. GHL's own examples for Update
 * and Delete say `"type": "AppointmentCreate"`, so the type of an appointment delivery is
 * only as good as GHL's sender: processing must treat an appointment it already knows as an
 * update whatever the type says.
 */
export const appointmentEventSchema = z.looseObject({
  type: z.enum(["AppointmentCreate", "AppointmentUpdate", "AppointmentDelete"]),
  ...envelopeFields,
  appointment: appointmentSchema.optional(),
});

/** Message deliveries. Trust `direction`, not `type`, for inbound vs outbound (GHL's own examples disagree). */
export const messageEventSchema = z.looseObject({
  type: z.enum(["InboundMessage", "OutboundMessage"]),
  ...envelopeFields,
  contactId: text,
  conversationId: text,
  conversationProviderId: text,
  messageId: text,
  emailMessageId: text,
  /** Open-ended: SMS, CALL, Email, VoiceMail, GMB, FB, IG, WhatsApp, ... */
  messageType: text,
  /** "inbound" or "outbound"; any other value is kept, and processing refuses it. */
  direction: text,
  body: text,
  contentType: text,
  status: text,
  attachments: texts,
  /** Seconds. */
  callDuration: z.number().optional(),
  callStatus: text,
  userId: text,
  source: text,
  subject: text,
  from: text,
  to: texts,
  threadId: text,
  dateAdded: text,
});

/** Note deliveries. */
export const noteEventSchema = z.looseObject({
  type: z.enum(["NoteCreate", "NoteUpdate", "NoteDelete"]),
  ...envelopeFields,
  id: text,
  contactId: text,
  body: text,
  userId: text,
  dateAdded: text,
});

/** Task deliveries; `TaskCreate` is known to arrive without `contactId` and `body`. */
export const taskEventSchema = z.looseObject({
  type: z.enum(["TaskCreate", "TaskComplete", "TaskDelete"]),
  ...envelopeFields,
  id: text,
  contactId: text,
  title: text,
  body: text,
  assignedTo: text,
  dueDate: text,
  completed: z.boolean().optional(),
  dateAdded: text,
});

/** The app was installed in the location (billing provisions the account). */
export const installEventSchema = z.looseObject({
  type: z.literal("INSTALL"),
  ...envelopeFields,
  companyId: text,
  userId: text,
  planId: text,
  companyName: text,
  isWhitelabelCompany: z.boolean().optional(),
  trial: z.looseObject({ onTrial: z.boolean().optional(), trialDuration: z.number().optional(), trialStartDate: text }).optional(),
});

/** The app was removed from the location (billing deactivates the account). */
export const uninstallEventSchema = z.looseObject({
  type: z.literal("UNINSTALL"),
  ...envelopeFields,
  companyId: text,
});

/** Every supported delivery, discriminated by `type`. */
export const ghlEventSchema = z.discriminatedUnion("type", [
  contactEventSchema,
  opportunityEventSchema,
  appointmentEventSchema,
  messageEventSchema,
  noteEventSchema,
  taskEventSchema,
  installEventSchema,
  uninstallEventSchema,
]);

/** A supported GHL webhook delivery; switch on `type` to narrow it. */
export type GhlEvent = z.infer<typeof ghlEventSchema>;
/** A delivery's `type`, for the supported ones. */
export type GhlEventType = GhlEvent["type"];
/** A contact delivery. */
export type ContactEvent = z.infer<typeof contactEventSchema>;

const CONTACT_EVENT_TYPES: ReadonlySet<string> = new Set(contactEventSchema.shape.type.options);

/** Whether a delivery is about a contact. */
export function isContactEvent(event: GhlEvent): event is ContactEvent {
  return CONTACT_EVENT_TYPES.has(event.type);
}
/** An opportunity delivery. */
export type OpportunityEvent = z.infer<typeof opportunityEventSchema>;
/** An appointment delivery. */
export type AppointmentEvent = z.infer<typeof appointmentEventSchema>;
/** A message delivery. */
export type MessageEvent = z.infer<typeof messageEventSchema>;
/** A note delivery. */
export type NoteEvent = z.infer<typeof noteEventSchema>;
/** A task delivery. */
export type TaskEvent = z.infer<typeof taskEventSchema>;
/** An app install. */
export type InstallEvent = z.infer<typeof installEventSchema>;
/** An app removal. */
export type UninstallEvent = z.infer<typeof uninstallEventSchema>;

const SUPPORTED: ReadonlySet<string> = new Set<string>([
  ...[contactEventSchema, opportunityEventSchema, appointmentEventSchema, messageEventSchema, noteEventSchema, taskEventSchema].flatMap((schema) => schema.shape.type.options),
  installEventSchema.shape.type.value,
  uninstallEventSchema.shape.type.value,
]);

/** Type guard: is `type` one the bridge understands? */
export function isSupportedGhlEventType(type: string): type is GhlEventType {
  return SUPPORTED.has(type);
}

/** The outcome of {@link parseGhlEvent}. */
export type GhlEventParse = { ok: true; event: GhlEvent } | { ok: false; unsupported: true; type: string } | { ok: false; error: string };

function isPlainObject(value: unknown): value is { [key: string]: unknown } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The value with every null-valued object field dropped: GHL documents that empty fields are
 * omitted, and a stray null should read as absent rather than refuse the whole delivery.
 */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isPlainObject(value)) return value;
  const out: { [key: string]: unknown } = {};
  for (const [key, field] of Object.entries(value)) if (field !== null) out[key] = withoutNulls(field);
  return out;
}

/** Zod issues as `path: message` lines, naming fields but never echoing their values. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(body)"}: ${issue.message}`).join("; ");
}

/**
 * Validates a parsed delivery body (intake's, or a stored inbox payload the worker reads
 * back) against the schema of its `type`.
 */
export function parseGhlEvent(payload: unknown): GhlEventParse {
  if (!isPlainObject(payload)) return { ok: false, error: "payload must be a JSON object" };
  const type = payload["type"];
  if (typeof type !== "string" || type === "") return { ok: false, error: "type: must be a non-empty string" };
  if (!isSupportedGhlEventType(type)) return { ok: false, unsupported: true, type };
  const parsed = ghlEventSchema.safeParse(withoutNulls(payload));
  return parsed.success ? { ok: true, event: parsed.data } : { ok: false, error: describeIssues(parsed.error) };
}

/** The GHL contact a delivery concerns, or null when it names none (installs, a task without a contact). */
export function contactKeyOf(event: GhlEvent): string | null {
  switch (event.type) {
    case "ContactCreate":
    case "ContactUpdate":
    case "ContactDelete":
    case "ContactDndUpdate":
    case "ContactTagUpdate":
      return event.id ?? null;
    case "AppointmentCreate":
    case "AppointmentUpdate":
    case "AppointmentDelete":
      return event.appointment?.contactId ?? null;
    case "INSTALL":
    case "UNINSTALL":
      return null;
    default:
      return event.contactId ?? null;
  }
}
