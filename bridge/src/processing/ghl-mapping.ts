import { z } from "zod";

/**
 * One gateway mutation that applies (part of) a GHL event. Every one of them is idempotent
 * for the same webhook, which is what makes applying an event twice harmless (the mutation
 * runs in another service, so it cannot commit together with the inbox row; a worker that
 * dies between the two leaves the row to be applied again):
 * - `upsertLead` writes the same fields again: nothing changes the second time;
 * - `changeStatus` to the status the lead already has succeeds and changes nothing;
 * - `recordMessage` is keyed by the GHL message id (or the webhook id when GHL sends none);
 * - `addNote` is keyed by the GHL note id;
 * - `deleteLead` of a lead already gone succeeds with nothing deleted;
 * - `provisionAccount` / `deactivateAccount` leave an account already in that state alone.
 */
export type GatewayOperation =
  | { kind: "upsertLead"; input: UpsertLeadInput }
  | { kind: "deleteLead"; input: { ghlContactId: string } }
  | { kind: "changeStatus"; input: { ghlContactId: string; status: LeadStatusName } }
  | { kind: "recordMessage"; input: RecordMessageInput }
  | { kind: "addNote"; input: { ghlContactId: string; ghlNoteId: string; body: string } }
  | { kind: "provisionAccount"; input: { name: string; trialDays: number } }
  | { kind: "deactivateAccount"; input: { reason: string } };

/** Pipeline statuses the bridge moves leads to. */
export type LeadStatusName = "APPOINTMENT_SET" | "CLOSED_WON" | "CLOSED_LOST";

/** Lead fields a contact event carries; a key is present only when the payload has the field. */
export interface UpsertLeadInput {
  ghlContactId: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  phone?: string;
  source?: string;
  tags?: string[];
  assignedTo?: string;
  doNotContact?: boolean;
  dealValue?: number;
}

/** A message to record on the lead. */
export interface RecordMessageInput {
  ghlContactId: string;
  messageId: string;
  direction: "INBOUND" | "OUTBOUND";
  channel: string;
  body: string;
}

/**
 * What to do with an event: apply these operations in order, ignore it (a valid event that
 * needs nothing), or give up on it (a payload that can never be applied).
 */
export type EventMapping =
  | { kind: "apply"; operations: GatewayOperation[] }
  | { kind: "ignore"; reason: string }
  | { kind: "invalid"; reason: string };

/** An inbox row as the mapping needs it. */
export interface InboxEvent {
  /** The inbox row's `type` (GHL's, or `Workflow`). */
  type: string;
  webhookId: string;
  tenantId: string;
  /** The body as received: untrusted. */
  payload: unknown;
}

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const text = z.string();

// Only the fields the mapping reads; everything else in a payload is left alone. Every
// field is optional because GHL omits fields without a value.
const contactSchema = z.object({
  id,
  firstName: text.optional(),
  lastName: text.optional(),
  email: text.optional(),
  phone: text.optional(),
  source: text.optional(),
  tags: z.array(text).optional(),
  assignedTo: text.optional(),
  dnd: z.boolean().optional(),
  dndSettings: z.record(z.string(), z.object({ status: text.optional() }).loose()).optional(),
});
const opportunitySchema = z.object({
  contactId: id,
  status: z.enum(["open", "won", "lost", "abandoned"]).optional(),
  monetaryValue: z.number().nonnegative().optional(),
});
const appointmentSchema = z.object({
  appointment: z.object({
    contactId: id,
    appointmentStatus: text.optional(),
  }),
});
const messageSchema = z.object({
  contactId: id,
  direction: z.enum(["inbound", "outbound"]),
  messageType: text.optional(),
  messageId: text.optional(),
  emailMessageId: text.optional(),
  body: text.optional(),
});
const noteSchema = z.object({ id, contactId: id, body: text });
const installSchema = z.object({
  companyName: text.optional(),
  trial: z.object({ onTrial: z.boolean().optional(), trialDuration: z.number().optional() }).optional(),
});

const SOURCES: readonly [RegExp, string][] = [
  [/zillow/i, "ZILLOW"],
  [/realtor/i, "REALTOR_COM"],
  [/facebook|\bfb\b|instagram/i, "FACEBOOK"],
  [/google/i, "GOOGLE_ADS"],
  [/referr?al/i, "REFERRAL"],
  [/open.?house/i, "OPEN_HOUSE"],
  [/sign/i, "SIGN_CALL"],
  [/website|web form|landing/i, "WEBSITE"],
];

const CHANNELS: Readonly<Record<string, string>> = {
  sms: "SMS",
  email: "EMAIL",
  call: "CALL",
  voicemail: "VOICEMAIL",
  whatsapp: "WHATSAPP",
  live_chat: "LIVE_CHAT",
  fb: "FACEBOOK",
  facebook: "FACEBOOK",
  ig: "INSTAGRAM",
  instagram: "INSTAGRAM",
};

const MAX_TRIAL_DAYS = 90;

function invalid(error: z.ZodError): EventMapping {
  // Paths and messages only: values would copy personal data into `last_error`.
  const issues = error.issues.slice(0, 3).map((issue) => `${issue.path.join(".") || "(body)"}: ${issue.message}`);
  return { kind: "invalid", reason: `payload does not fit: ${issues.join("; ")}` };
}

function apply(...operations: GatewayOperation[]): EventMapping {
  return { kind: "apply", operations };
}

function contactUpsert(contact: z.infer<typeof contactSchema>): UpsertLeadInput {
  // A field absent from the payload is left out (never sent as null): GHL omits fields
  // without a value, and a partial update must not clear what the lead already has.
  const input: UpsertLeadInput = { ghlContactId: contact.id };
  if (contact.firstName !== undefined) input.firstName = contact.firstName;
  if (contact.lastName !== undefined) input.lastName = contact.lastName;
  if (contact.email !== undefined) input.email = contact.email;
  if (contact.phone !== undefined) input.phone = contact.phone;
  if (contact.source !== undefined) {
    // An unrecognised source is left to the lead's default (GHL_IMPORT on creation).
    const known = SOURCES.find(([pattern]) => pattern.test(contact.source!));
    if (known) input.source = known[1];
  }
  if (contact.tags !== undefined) input.tags = contact.tags;
  if (contact.assignedTo !== undefined) input.assignedTo = contact.assignedTo;
  if (contact.dnd !== undefined) input.doNotContact = contact.dnd;
  else if (contact.dndSettings !== undefined) {
    // Without the global flag, any channel under DND means the lead asked not to be contacted.
    input.doNotContact = Object.values(contact.dndSettings).some((channel) => channel.status === "active");
  }
  return input;
}

function opportunity(payload: unknown): EventMapping {
  const parsed = opportunitySchema.safeParse(payload);
  if (!parsed.success) return invalid(parsed.error);
  const { contactId, status, monetaryValue } = parsed.data;
  const operations: GatewayOperation[] = [];
  // Whole dollars, like the lead's budgets: GHL sends the amount in currency units.
  if (monetaryValue !== undefined) operations.push({ kind: "upsertLead", input: { ghlContactId: contactId, dealValue: Math.round(monetaryValue) } });
  if (status === "won") operations.push({ kind: "changeStatus", input: { ghlContactId: contactId, status: "CLOSED_WON" } });
  if (status === "lost" || status === "abandoned") operations.push({ kind: "changeStatus", input: { ghlContactId: contactId, status: "CLOSED_LOST" } });
  return operations.length ? apply(...operations) : { kind: "ignore", reason: "an open opportunity without a value changes nothing" };
}

function appointment(payload: unknown): EventMapping {
  const parsed = appointmentSchema.safeParse(payload);
  if (!parsed.success) return invalid(parsed.error);
  const { contactId, appointmentStatus } = parsed.data.appointment;
  if (appointmentStatus === "cancelled" || appointmentStatus === "invalid" || appointmentStatus === "noshow") {
    return { kind: "ignore", reason: `a ${appointmentStatus} appointment sets nothing` };
  }
  return apply({ kind: "changeStatus", input: { ghlContactId: contactId, status: "APPOINTMENT_SET" } });
}

function stripHtml(html: string): string {
  return html.replace(/<[^>]*>/g, " ").replace(/&nbsp;/g, " ").replace(/\s+/g, " ").trim();
}

function message(event: InboxEvent): EventMapping {
  const parsed = messageSchema.safeParse(event.payload);
  if (!parsed.success) return invalid(parsed.error);
  const { contactId, direction, messageType, body } = parsed.data;
  const channel = CHANNELS[(messageType ?? "").toLowerCase()] ?? "OTHER";
  // GHL's SMS deliveries may come without a message id: the webhook id then stands in,
  // which still makes a replay of this delivery a no-op.
  const messageId = parsed.data.messageId ?? parsed.data.emailMessageId ?? `webhook:${event.webhookId}`;
  return apply({
    kind: "recordMessage",
    // Trust `direction`, not the event type: GHL's OutboundMessage examples say "inbound" at times.
    input: { ghlContactId: contactId, messageId, direction: direction === "inbound" ? "INBOUND" : "OUTBOUND", channel, body: channel === "EMAIL" ? stripHtml(body ?? "") : (body ?? "") },
  });
}

function install(event: InboxEvent): EventMapping {
  const parsed = installSchema.safeParse(event.payload);
  if (!parsed.success) return invalid(parsed.error);
  const { companyName, trial } = parsed.data;
  const trialDays = trial?.onTrial ? Math.min(MAX_TRIAL_DAYS, Math.max(0, Math.round(trial.trialDuration ?? 0))) : 0;
  return apply({ kind: "provisionAccount", input: { name: (companyName?.trim() || event.tenantId).slice(0, 200), trialDays } });
}

/**
 * Maps one stored GHL event to the gateway mutations that apply it. Pure: no I/O, so every
 * event type can be checked without a stack.
 */
export function mapGhlEvent(event: InboxEvent): EventMapping {
  switch (event.type) {
    case "ContactCreate":
    case "ContactUpdate":
    case "ContactTagUpdate":
    case "ContactDndUpdate": {
      const parsed = contactSchema.safeParse(event.payload);
      return parsed.success ? apply({ kind: "upsertLead", input: contactUpsert(parsed.data) }) : invalid(parsed.error);
    }
    case "ContactDelete": {
      const parsed = z.object({ id }).safeParse(event.payload);
      return parsed.success ? apply({ kind: "deleteLead", input: { ghlContactId: parsed.data.id } }) : invalid(parsed.error);
    }
    case "OpportunityCreate":
    case "OpportunityUpdate":
    case "OpportunityStatusUpdate":
    case "OpportunityMonetaryValueUpdate":
      return opportunity(event.payload);
    case "AppointmentCreate":
    case "AppointmentUpdate":
      return appointment(event.payload);
    case "InboundMessage":
    case "OutboundMessage":
      return message(event);
    case "NoteCreate": {
      const parsed = noteSchema.safeParse(event.payload);
      return parsed.success ? apply({ kind: "addNote", input: { ghlContactId: parsed.data.contactId, ghlNoteId: parsed.data.id, body: parsed.data.body } }) : invalid(parsed.error);
    }
    case "INSTALL":
      return install(event);
    case "UNINSTALL":
      return apply({ kind: "deactivateAccount", input: { reason: "GHL UNINSTALL" } });
    default:
      return { kind: "ignore", reason: `${event.type} events are not mirrored` };
  }
}
