import { APPOINTMENT_STATUSES, OPPORTUNITY_STATUSES, isContactEvent, type AppointmentEvent, type ContactEvent, type GhlEvent, type InstallEvent, type MessageEvent, type NoteEvent, type OpportunityEvent } from "../intake/ghl-events";
import type { WorkflowEvent } from "../intake/workflow-events";
import type { CustomFieldCatalog } from "../ghl/ghl-custom-fields";
import { validateLeadChanges } from "../../../subgraphs/leads/src/lead/lead.validation";

/**
 * One gateway mutation that applies (part of) a GHL event. Every one of them is idempotent
 * for the same webhook, which is what makes applying an event twice harmless (the mutation
 * runs in another service, so it cannot commit together with the inbox row; a worker that
 * dies between the two leaves the row to be applied again):
 * - `upsertLead` writes the same fields again: nothing changes the second time;
 * - `changeStatus` to the status the lead already has succeeds and changes nothing;
 * - `recordMessage` is keyed by the GHL message id (or the webhook id when GHL sends none);
 * - `addNote` is keyed by the GHL note id;
 * - `recordAppointment` stores a version only when newer than the one held, so a replay or a
 *   late delivery changes nothing;
 * - `deleteLead` of a lead already gone succeeds with nothing deleted;
 * - `provisionAccount` / `deactivateAccount` leave an account already in that state alone.
 */
export type GatewayOperation =
  | { kind: "upsertLead"; input: UpsertLeadInput }
  | { kind: "deleteLead"; input: { ghlContactId: string } }
  | { kind: "changeStatus"; input: { ghlContactId: string; status: LeadStatusName } }
  | { kind: "recordMessage"; input: RecordMessageInput }
  | { kind: "addNote"; input: { ghlContactId: string; ghlNoteId: string; body: string } }
  | { kind: "recordAppointment"; input: RecordAppointmentInput }
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
  /** From the location's custom fields, named through its catalog. */
  budgetMax?: number;
  timeline?: string;
  financing?: string;
  propertyTypes?: string[];
  preferredAreas?: string[];
  bedroomsMin?: number;
}

/** The lead fields of an upsert, without the contact it names. */
type LeadFields = Omit<UpsertLeadInput, "ghlContactId">;

/** GHL's appointment statuses, as the leads subgraph names them. */
export type AppointmentStatusName = "NEW" | "CONFIRMED" | "CANCELLED" | "SHOWED" | "NO_SHOW" | "INVALID";

/** One delivered version of a GHL appointment; a deletion carries only the ids and the stamp. */
export interface RecordAppointmentInput {
  ghlAppointmentId: string;
  ghlContactId: string;
  /** ISO-8601: GHL's stamp of this version. */
  ghlUpdatedAt: string;
  deleted: boolean;
  status?: AppointmentStatusName;
  /** ISO-8601. */
  startTime?: string;
  /** ISO-8601. */
  endTime?: string;
  calendarId?: string;
  title?: string;
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
  /** `notes` say what of the event was left out (field names only), for the inbox row. */
  | { kind: "apply"; operations: GatewayOperation[]; notes?: string[] }
  | { kind: "ignore"; reason: string }
  | { kind: "invalid"; reason: string };

/** A stored inbox row's payload as intake's schema for the row's type reads it. */
export type ParsedInboxEvent =
  | { kind: "ghl"; event: GhlEvent }
  | { kind: "workflow"; event: WorkflowEvent }
  /** A GHL type intake stores but the bridge has no schema for. */
  | { kind: "unsupported"; type: string };

/** The location's custom-field catalog as far as processing got it, for contact events with custom fields. */
export type CatalogState = { kind: "catalog"; fields: CustomFieldCatalog } | { kind: "unavailable"; reason: string };

/** What the mapping needs of the inbox row besides its parsed event. */
export interface MappingContext {
  /** The row's idempotency key (always present, unlike a payload's optional `webhookId`). */
  webhookId: string;
  tenantId: string;
  /** The location's catalog, looked up for contact events that carry custom fields; absent, they are skipped. */
  catalog?: CatalogState;
}

// The intake's schemas accept any string id, since GHL omits fields freely; the gateway keys
// leads by these ids, so the mapping insists on their shape before it sends one.
const GHL_ID = /^[A-Za-z0-9_-]{1,64}$/;

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

function invalid(...problems: string[]): EventMapping {
  // Field paths and what is wrong with them only: values would copy personal data into `last_error`.
  return { kind: "invalid", reason: `payload does not fit: ${problems.join("; ")}` };
}

function isGhlId(value: string | undefined): value is string {
  return value !== undefined && GHL_ID.test(value);
}

function badId(path: string, value: string | undefined): EventMapping {
  return invalid(`${path}: ${value === undefined ? "required" : "must be a GHL id (1-64 of A-Z a-z 0-9 _ -)"}`);
}

function apply(...operations: GatewayOperation[]): EventMapping {
  return { kind: "apply", operations };
}

/** Lead fields with the payload path each came from, to name the ones left out. */
interface SourcedFields {
  fields: LeadFields;
  origins: Partial<Record<keyof LeadFields, string>>;
}

function standardFields(contact: ContactEvent): SourcedFields {
  // A field absent from the payload is left out (never sent as null): GHL omits fields
  // without a value, and a partial update must not clear what the lead already has.
  const fields: LeadFields = {};
  const origins: SourcedFields["origins"] = {};
  const set = <K extends keyof LeadFields>(field: K, value: LeadFields[K], origin: string) => {
    fields[field] = value;
    origins[field] = origin;
  };
  if (contact.firstName !== undefined) set("firstName", contact.firstName, "firstName");
  if (contact.lastName !== undefined) set("lastName", contact.lastName, "lastName");
  if (contact.email !== undefined) set("email", contact.email, "email");
  if (contact.phone !== undefined) set("phone", contact.phone, "phone");
  const source = contact.source;
  if (source !== undefined) {
    // An unrecognised source is left to the lead's default (GHL_IMPORT on creation).
    const known = SOURCES.find(([pattern]) => pattern.test(source));
    if (known) set("source", known[1], "source");
  }
  if (contact.tags !== undefined) set("tags", contact.tags, "tags");
  if (contact.assignedTo !== undefined) set("assignedTo", contact.assignedTo, "assignedTo");
  if (contact.dnd !== undefined) set("doNotContact", contact.dnd, "dnd");
  else if (contact.dndSettings !== undefined) {
    // Without the global flag, any channel under DND means the lead asked not to be contacted.
    set("doNotContact", Object.values(contact.dndSettings).some((channel) => channel.status === "active"), "dndSettings");
  }
  return { fields, origins };
}

/** A picklist label as a lookup key: case, spaces, dashes and brackets vary between locations. */
function optionKey(label: string): string {
  return label.toLowerCase().replace(/[^a-z0-9+]/g, "");
}

const FINANCING: Readonly<Record<string, string>> = { cash: "CASH", preapproved: "PRE_APPROVED", prequalified: "PRE_QUALIFIED", notstarted: "NOT_STARTED" };
const TIMELINE: Readonly<Record<string, string>> = {
  asap: "IMMEDIATE",
  asap030days: "IMMEDIATE",
  "13months": "WITHIN_3_MONTHS",
  "36months": "WITHIN_6_MONTHS",
  "612months": "WITHIN_12_MONTHS",
  // A year or more out is as far from buying as the lead's timelines go.
  "12+months": "JUST_BROWSING",
};
const PROPERTY_TYPES: Readonly<Record<string, string>> = {
  singlefamily: "SINGLE_FAMILY",
  condo: "CONDO",
  townhouse: "TOWNHOUSE",
  multifamily: "MULTI_FAMILY",
  land: "LAND",
  manufactured: "MANUFACTURED",
};

/** A number GHL may send as a number or as text ("475,000", "$475000"). */
function numberOf(value: unknown): number | null {
  const number = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value.replace(/[$,\s]/g, "")) : NaN;
  return Number.isFinite(number) ? number : null;
}

/** A list GHL may send as an array of labels or as one comma-separated text. */
function listOf(value: unknown): string[] {
  const items = Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : typeof value === "string" ? value.split(/[,;\n]/) : [];
  return items.map((item) => item.trim()).filter((item) => item !== "");
}

function optionOf(value: unknown, options: Readonly<Record<string, string>>): string | null {
  return typeof value === "string" ? (options[optionKey(value)] ?? null) : null;
}

/**
 * The lead field each known catalog key fills, and how its value reads. Keys the lead does
 * not model (`contact.lead_type`) and the ones the score write-back fills (`contact.lead_score`,
 * `contact.lead_tier`) are not read.
 */
const CUSTOM_FIELDS: Readonly<Record<string, (value: unknown) => Partial<LeadFields> | null>> = {
  // Whole dollars, like the lead's budgets.
  "contact.budget_max": (value) => {
    const amount = numberOf(value);
    return amount === null ? null : { budgetMax: Math.round(amount) };
  },
  "contact.financing_status": (value) => {
    const financing = optionOf(value, FINANCING);
    return financing === null ? null : { financing };
  },
  "contact.purchase_timeline": (value) => {
    const timeline = optionOf(value, TIMELINE);
    return timeline === null ? null : { timeline };
  },
  "contact.property_type": (value) => {
    const labels = listOf(value);
    const types = [...new Set(labels.flatMap((label) => PROPERTY_TYPES[optionKey(label)] ?? []))];
    return types.length > 0 && types.length === labels.length ? { propertyTypes: types } : null;
  },
  "contact.preferred_areas": (value) => {
    const areas = listOf(value);
    return areas.length > 0 ? { preferredAreas: areas } : null;
  },
  "contact.bedrooms_min": (value) => {
    const bedrooms = numberOf(value);
    return bedrooms === null ? null : { bedroomsMin: bedrooms };
  },
};

/** The lead fields a contact's custom fields fill, through the location's catalog; paths of values that do not read are `unreadable`. */
function customFieldFields(contact: ContactEvent, catalog: CustomFieldCatalog): SourcedFields & { unreadable: string[] } {
  const fields: LeadFields = {};
  const origins: SourcedFields["origins"] = {};
  const unreadable: string[] = [];
  for (const { id, value } of contact.customFields ?? []) {
    const fieldKey = catalog.get(id)?.fieldKey;
    const read = fieldKey === undefined ? undefined : CUSTOM_FIELDS[fieldKey];
    if (fieldKey === undefined || read === undefined) continue;
    const origin = `customFields.${fieldKey}`;
    const filled = read(value);
    if (filled === null) {
      unreadable.push(origin);
      continue;
    }
    Object.assign(fields, filled);
    for (const field of Object.keys(filled)) origins[field as keyof LeadFields] = origin;
  }
  return { fields, origins, unreadable };
}

function withoutFields(fields: LeadFields, names: ReadonlySet<string>): LeadFields {
  return Object.fromEntries(Object.entries(fields).filter(([name]) => !names.has(name))) as LeadFields;
}

/**
 * The fields the leads subgraph will accept, by its own rules, and the names of those it
 * would refuse: one bad field must not make it refuse the whole upsert. Rounds repeat while
 * dropping a field changes the verdict (the budget bounds are checked against each other).
 */
export function acceptableLeadFields(fields: LeadFields): { fields: LeadFields; refused: string[] } {
  let kept = fields;
  const refused: string[] = [];
  for (;;) {
    const validation = validateLeadChanges(kept);
    if (validation.ok) return { fields: kept, refused };
    const names = new Set(validation.issues.map((issue) => String(issue.path[0])).filter((name) => Object.prototype.hasOwnProperty.call(kept, name)));
    // An issue naming no field sent cannot be fixed by leaving one out: the subgraph decides.
    if (names.size === 0) return { fields: kept, refused };
    refused.push(...names);
    kept = withoutFields(kept, names);
  }
}

/** Whether the event is a contact change whose custom fields the location's catalog must name. */
export function needsCatalog(parsed: ParsedInboxEvent): boolean {
  return parsed.kind === "ghl" && isContactEvent(parsed.event) && parsed.event.type !== "ContactDelete" && (parsed.event.customFields?.length ?? 0) > 0;
}

function contact(event: ContactEvent, context: MappingContext): EventMapping {
  if (!isGhlId(event.id)) return badId("id", event.id);
  if (event.type === "ContactDelete") return apply({ kind: "deleteLead", input: { ghlContactId: event.id } });
  const standard = standardFields(event);
  const notes: string[] = [];
  let custom: SourcedFields & { unreadable: string[] } = { fields: {}, origins: {}, unreadable: [] };
  if (event.customFields?.length) {
    if (context.catalog?.kind === "catalog") custom = customFieldFields(event, context.catalog.fields);
    else notes.push(`custom fields skipped: ${context.catalog?.reason ?? "no GHL API access configured"}`);
  }
  const origins = { ...standard.origins, ...custom.origins };
  const { fields, refused } = acceptableLeadFields({ ...standard.fields, ...custom.fields });
  // Payload paths only, never values: they are personal data and the note is stored.
  const dropped = [...custom.unreadable, ...refused.map((name) => origins[name as keyof LeadFields] ?? name)];
  if (dropped.length) notes.unshift(`dropped fields that do not fit: ${dropped.join(", ")}`);
  return { kind: "apply", operations: [{ kind: "upsertLead", input: { ghlContactId: event.id, ...fields } }], ...(notes.length ? { notes } : {}) };
}

/** Whether an open-ended GHL value is one of those the bridge knows. */
function isOneOf(value: string, known: readonly string[]): boolean {
  return known.includes(value);
}

function opportunity(event: OpportunityEvent): EventMapping {
  const { contactId, status, monetaryValue } = event;
  if (!isGhlId(contactId)) return badId("contactId", contactId);
  // The intake's schema takes any number; a negative deal value is not one GHL can mean.
  if (monetaryValue !== undefined && monetaryValue < 0) return invalid("monetaryValue: must not be negative");
  const operations: GatewayOperation[] = [];
  // Whole dollars, like the lead's budgets: GHL sends the amount in currency units.
  if (monetaryValue !== undefined) operations.push({ kind: "upsertLead", input: { ghlContactId: contactId, dealValue: Math.round(monetaryValue) } });
  if (status === "won") operations.push({ kind: "changeStatus", input: { ghlContactId: contactId, status: "CLOSED_WON" } });
  if (status === "lost" || status === "abandoned") operations.push({ kind: "changeStatus", input: { ghlContactId: contactId, status: "CLOSED_LOST" } });
  if (operations.length) return apply(...operations);
  if (status !== undefined && !isOneOf(status, OPPORTUNITY_STATUSES)) return { kind: "ignore", reason: `opportunity status ${JSON.stringify(status)} is not one the bridge knows` };
  return { kind: "ignore", reason: "an open opportunity without a value changes nothing" };
}

const APPOINTMENT_STATUS: Readonly<Record<(typeof APPOINTMENT_STATUSES)[number], AppointmentStatusName>> = {
  new: "NEW",
  confirmed: "CONFIRMED",
  cancelled: "CANCELLED",
  showed: "SHOWED",
  noshow: "NO_SHOW",
  invalid: "INVALID",
};

// Statuses of an appointment that is (or was) really on: the lead has an appointment set.
const APPOINTMENT_IS_SET: ReadonlySet<AppointmentStatusName> = new Set(["NEW", "CONFIRMED", "SHOWED"]);

const MAX_APPOINTMENT_TITLE = 200;

/** `text` as an ISO-8601 instant, or null when it is not a date-time. */
function isoInstant(text: string | undefined): string | null {
  if (text === undefined) return null;
  const time = Date.parse(text);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

function isAppointmentStatus(value: string): value is keyof typeof APPOINTMENT_STATUS {
  return isOneOf(value, APPOINTMENT_STATUSES);
}

function appointment(event: AppointmentEvent): EventMapping {
  if (event.appointment === undefined) return invalid("appointment: required");
  const { id, contactId, appointmentStatus, calendarId, title, dateUpdated } = event.appointment;
  if (!isGhlId(id)) return badId("appointment.id", id);
  if (!isGhlId(contactId)) return badId("appointment.contactId", contactId);
  // The later of the delivery's and the appointment's own stamp: a deletion may keep the
  // appointment's last dateUpdated, and an update is stamped at least as late as it was made.
  const stamps = [isoInstant(event.timestamp), isoInstant(dateUpdated)].filter((stamp): stamp is string => stamp !== null);
  if (stamps.length === 0) return invalid("timestamp: required");
  const ghlUpdatedAt = stamps.sort().at(-1)!;
  // GHL's own examples label Update and Delete deliveries "AppointmentCreate": only a
  // delivery that says Delete can be told apart, and any other is recorded as a version.
  if (event.type === "AppointmentDelete") return apply({ kind: "recordAppointment", input: { ghlAppointmentId: id, ghlContactId: contactId, ghlUpdatedAt, deleted: true } });

  // GHL omits fields without a value: an appointment without a status is a new booking.
  const status = appointmentStatus ?? "new";
  if (!isAppointmentStatus(status)) return { kind: "ignore", reason: `appointment status ${JSON.stringify(status)} is not one the bridge knows` };
  const startTime = isoInstant(event.appointment.startTime);
  const endTime = isoInstant(event.appointment.endTime);
  if (startTime === null) return invalid(`appointment.startTime: ${event.appointment.startTime === undefined ? "required" : "must be an ISO-8601 date-time"}`);
  if (endTime === null) return invalid(`appointment.endTime: ${event.appointment.endTime === undefined ? "required" : "must be an ISO-8601 date-time"}`);
  if (endTime < startTime) return invalid("appointment.endTime: must not be before startTime");
  const input: RecordAppointmentInput = { ghlAppointmentId: id, ghlContactId: contactId, ghlUpdatedAt, deleted: false, status: APPOINTMENT_STATUS[status], startTime, endTime };
  // Optional details: one GHL sends in an unusable shape is left out rather than losing the appointment.
  if (isGhlId(calendarId)) input.calendarId = calendarId;
  const trimmedTitle = title?.trim();
  if (trimmedTitle) input.title = trimmedTitle.slice(0, MAX_APPOINTMENT_TITLE);
  const operations: GatewayOperation[] = [{ kind: "recordAppointment", input }];
  if (APPOINTMENT_IS_SET.has(APPOINTMENT_STATUS[status])) operations.push({ kind: "changeStatus", input: { ghlContactId: contactId, status: "APPOINTMENT_SET" } });
  return apply(...operations);
}

function stripHtml(html: string): string {
  return html.replace(/<[^>]*>/g, " ").replace(/&nbsp;/g, " ").replace(/\s+/g, " ").trim();
}

function message(event: MessageEvent, context: MappingContext): EventMapping {
  const { contactId, direction, messageType, body } = event;
  if (!isGhlId(contactId)) return badId("contactId", contactId);
  // The intake's schema lets `direction` be absent; a message of unknown direction cannot be recorded.
  if (direction === undefined) return invalid("direction: required");
  if (direction !== "inbound" && direction !== "outbound") return invalid(`direction: ${JSON.stringify(direction)} is neither inbound nor outbound`);
  const channel = CHANNELS[(messageType ?? "").toLowerCase()] ?? "OTHER";
  // GHL's SMS deliveries may come without a message id: the webhook id then stands in,
  // which still makes a replay of this delivery a no-op.
  const messageId = event.messageId ?? event.emailMessageId ?? `webhook:${context.webhookId}`;
  return apply({
    kind: "recordMessage",
    // Trust `direction`, not the event type: GHL's OutboundMessage examples say "inbound" at times.
    input: { ghlContactId: contactId, messageId, direction: direction === "inbound" ? "INBOUND" : "OUTBOUND", channel, body: channel === "EMAIL" ? stripHtml(body ?? "") : (body ?? "") },
  });
}

function note(event: NoteEvent): EventMapping {
  const { id, contactId, body } = event;
  if (!isGhlId(id)) return badId("id", id);
  if (!isGhlId(contactId)) return badId("contactId", contactId);
  if (body === undefined) return invalid("body: required");
  return apply({ kind: "addNote", input: { ghlContactId: contactId, ghlNoteId: id, body } });
}

function install(event: InstallEvent, context: MappingContext): EventMapping {
  const { companyName, trial } = event;
  const trialDays = trial?.onTrial ? Math.min(MAX_TRIAL_DAYS, Math.max(0, Math.round(trial.trialDuration ?? 0))) : 0;
  return apply({ kind: "provisionAccount", input: { name: (companyName?.trim() || context.tenantId).slice(0, 200), trialDays } });
}

/**
 * Maps one stored event, already parsed by intake's schema for its type, to the gateway
 * mutations that apply it. Pure: no I/O, so every event type can be checked without a stack.
 * The schemas leave every field optional, so a field a mutation needs that is absent or
 * unusable makes the event `invalid`.
 */
export function mapGhlEvent(parsed: ParsedInboxEvent, context: MappingContext): EventMapping {
  if (parsed.kind === "unsupported") return { kind: "ignore", reason: `${parsed.type} events are not mirrored` };
  if (parsed.kind === "workflow") return { kind: "ignore", reason: "Workflow events are not mirrored" };
  const { event } = parsed;
  switch (event.type) {
    case "ContactCreate":
    case "ContactUpdate":
    case "ContactTagUpdate":
    case "ContactDndUpdate":
    case "ContactDelete":
      return contact(event, context);
    case "OpportunityCreate":
    case "OpportunityUpdate":
    case "OpportunityStatusUpdate":
    case "OpportunityMonetaryValueUpdate":
      return opportunity(event);
    case "AppointmentCreate":
    case "AppointmentUpdate":
    case "AppointmentDelete":
      return appointment(event);
    case "InboundMessage":
    case "OutboundMessage":
      return message(event, context);
    case "NoteCreate":
      return note(event);
    case "INSTALL":
      return install(event, context);
    case "UNINSTALL":
      return apply({ kind: "deactivateAccount", input: { reason: "GHL UNINSTALL" } });
    default:
      return { kind: "ignore", reason: `${event.type} events are not mirrored` };
  }
}
