import type { Kysely, Updateable } from "kysely";
import type { Identity } from "../../../../lib/auth/identity";
import { withTenant } from "../../../../lib/db/tenant";
import { ErrorCode, clientError } from "../../../../lib/errors";
import { appendEvent } from "../../../../lib/events/event-log";
import type { EventPayload } from "../../../../lib/events/event-types";
import { UserErrorCode, invalidInput, userError, type UserError } from "../../../../lib/graphql/user-error";
import { isUuid, uuidv7 } from "../../../../lib/ids";
import { mapConnection, toConnection, type Connection } from "../../../../lib/pagination/connection";
import { isTimestampSortValue } from "../../../../lib/pagination/cursor";
import { queryKeyOf, toPageRequest, type ConnectionArguments } from "../../../../lib/pagination/page-request";
import type { LeadRow, LeadTable, LeadsDatabase, NoteRow } from "../database";
import { z } from "zod";
import { findGhlNote, insertGhlNote, insertNote } from "../note/note.repository";
import type { Note } from "../note/note.type";
import { BuyingTimeline, FinancingStatus, LeadSource, LeadStatus, type PropertyType } from "./lead.enums";
import type { CreateLeadInput, LeadChangesInput, LeadFilter, LeadOrder, UpdateLeadInput, UpsertLeadFromGhlInput } from "./lead.inputs";
import { SortDirection } from "../../../../lib/graphql/sort-direction";
import { LeadOrderField } from "./lead.inputs";
import * as repo from "./lead.repository";
import { canTransition, LEAD_TRANSITIONS } from "./lead.status";
import type { Lead } from "./lead.type";
import { noteBody, validateLeadChanges, type LeadChanges } from "./lead.validation";

type Db = Kysely<LeadsDatabase>;
const PRODUCER = "leads";

/** A mutation's outcome: the lead, or the user errors that stopped it. */
export interface LeadResult {
  lead: Lead | null;
  userErrors: UserError[];
}

/** Maps a row to the GraphQL domain object. */
export function toLead(row: LeadRow): Lead {
  const fullName = `${row.first_name} ${row.last_name}`.trim();
  return {
    id: row.id,
    ghlContactId: row.ghl_contact_id,
    firstName: row.first_name,
    lastName: row.last_name,
    fullName: fullName || row.email || row.phone || "Unnamed lead",
    email: row.email,
    phone: row.phone,
    source: row.source as LeadSource,
    status: row.status as LeadStatus,
    tags: row.tags,
    budgetMin: row.budget_min,
    budgetMax: row.budget_max,
    timeline: row.timeline as BuyingTimeline,
    financing: row.financing as FinancingStatus,
    propertyTypes: row.property_types as PropertyType[],
    preferredAreas: row.preferred_areas,
    bedroomsMin: row.bedrooms_min,
    assignedTo: row.assigned_to,
    doNotContact: row.do_not_contact,
    dealValue: row.deal_value,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Maps a note row to the GraphQL domain object. */
export function toNote(row: NoteRow): Note {
  return { id: row.id, leadId: row.lead_id, body: row.body, author: row.author, createdAt: row.created_at };
}

/** The lead as events carry it: every field except the id, timestamps and derived name. */
export function leadSnapshot(row: LeadRow): EventPayload<"LeadCreated">["lead"] {
  const { id: _id, createdAt: _c, updatedAt: _u, fullName: _f, ...fields } = toLead(row);
  return fields;
}

const COLUMN: Record<keyof LeadChanges, keyof LeadTable> = {
  firstName: "first_name",
  lastName: "last_name",
  email: "email",
  phone: "phone",
  source: "source",
  tags: "tags",
  budgetMin: "budget_min",
  budgetMax: "budget_max",
  timeline: "timeline",
  financing: "financing",
  propertyTypes: "property_types",
  preferredAreas: "preferred_areas",
  bedroomsMin: "bedrooms_min",
  assignedTo: "assigned_to",
  doNotContact: "do_not_contact",
  dealValue: "deal_value",
};

/** The columns that actually change, and the names of the fields behind them. */
function diff(changes: LeadChanges, current: LeadRow | null): { columns: Updateable<LeadTable>; changed: string[] } {
  const columns: Record<string, unknown> = {};
  const changed: string[] = [];
  for (const [field, value] of Object.entries(changes) as [keyof LeadChanges, unknown][]) {
    if (value === undefined) continue;
    const column = COLUMN[field];
    if (current && JSON.stringify(current[column]) === JSON.stringify(value)) continue;
    columns[column] = value;
    changed.push(field);
  }
  return { columns: columns as Updateable<LeadTable>, changed };
}

function leadIdError(id: string, field = "id"): UserError | null {
  return isUuid(id) ? null : userError(UserErrorCode.INVALID_INPUT, "is not a valid lead id", field);
}

function notFound(field = "id"): LeadResult {
  return { lead: null, userErrors: [userError(UserErrorCode.NOT_FOUND, "no lead with this id", field)] };
}

const SORT_COLUMN: Record<LeadOrderField, repo.LeadSortColumn> = {
  [LeadOrderField.CREATED_AT]: "created_at",
  [LeadOrderField.UPDATED_AT]: "updated_at",
  [LeadOrderField.NAME]: "sort_name",
};

function toListFilter(filter: LeadFilter | null | undefined): repo.LeadListFilter {
  const result: repo.LeadListFilter = {};
  if (!filter) return result;
  if (filter.statuses?.length) result.statuses = filter.statuses;
  if (filter.sources?.length) result.sources = filter.sources;
  if (filter.tags?.length) {
    if (filter.tags.length > 20) throw clientError(ErrorCode.BAD_USER_INPUT, "`filter.tags` takes at most 20 tags", { argument: "filter.tags" });
    result.tags = filter.tags;
  }
  if (filter.search != null) {
    const search = filter.search.trim();
    if (search.length < 2 || search.length > 100) {
      throw clientError(ErrorCode.BAD_USER_INPUT, "`filter.search` must be 2 to 100 characters", { argument: "filter.search" });
    }
    result.search = search;
  }
  if (filter.createdAfter) result.createdAfter = filter.createdAfter;
  if (filter.createdBefore) result.createdBefore = filter.createdBefore;
  if (result.createdAfter && result.createdBefore && result.createdAfter >= result.createdBefore) {
    throw clientError(ErrorCode.BAD_USER_INPUT, "`filter.createdAfter` must be before `filter.createdBefore`", { argument: "filter" });
  }
  return result;
}

/** A page of the caller's leads. */
export async function listLeads(
  db: Db,
  identity: Identity,
  args: ConnectionArguments & { filter?: LeadFilter | null; orderBy?: LeadOrder | null },
): Promise<Connection<Lead>> {
  const order = args.orderBy ?? { field: LeadOrderField.CREATED_AT, direction: SortDirection.DESC };
  const filter = toListFilter(args.filter);
  const request = toPageRequest(args, queryKeyOf("leads", { order, filter }), order.field === LeadOrderField.NAME ? undefined : isTimestampSortValue);
  const sort = { column: SORT_COLUMN[order.field], descending: order.direction === SortDirection.DESC };
  const page = await withTenant(db, identity.tenant, (trx) => repo.listLeads(trx, identity.tenant, filter, sort, request));
  return mapConnection(toConnection(request, page, (row) => ({ value: row.sort_value, id: row.id })), toLead);
}

/** Creates a lead and appends `LeadCreated`. */
export async function createLead(db: Db, identity: Identity, input: CreateLeadInput): Promise<LeadResult> {
  const validation = validateLeadChanges(input);
  if (!validation.ok) return { lead: null, userErrors: invalidInput(validation.issues) };
  return withTenant(db, identity.tenant, async (trx) => {
    const row = await insertNew(trx, identity.tenant, validation.changes, null);
    return { lead: toLead(row!), userErrors: [] };
  });
}

async function insertNew(trx: Db, tenantId: string, changes: LeadChanges, ghlContactId: string | null): Promise<LeadRow | undefined> {
  const row = await repo.insertLead(trx, {
    id: uuidv7(),
    tenant_id: tenantId,
    ghl_contact_id: ghlContactId,
    first_name: changes.firstName ?? "",
    last_name: changes.lastName ?? "",
    email: changes.email ?? null,
    phone: changes.phone ?? null,
    source: changes.source ?? (ghlContactId ? LeadSource.GHL_IMPORT : LeadSource.OTHER),
    status: LeadStatus.NEW,
    tags: changes.tags ?? [],
    budget_min: changes.budgetMin ?? null,
    budget_max: changes.budgetMax ?? null,
    timeline: changes.timeline ?? BuyingTimeline.UNKNOWN,
    financing: changes.financing ?? FinancingStatus.UNKNOWN,
    property_types: changes.propertyTypes ?? [],
    preferred_areas: changes.preferredAreas ?? [],
    bedrooms_min: changes.bedroomsMin ?? null,
    assigned_to: changes.assignedTo ?? null,
    do_not_contact: changes.doNotContact ?? false,
    deal_value: changes.dealValue ?? null,
  });
  if (row) await appendEvent(trx, PRODUCER, { type: "LeadCreated", tenantId, aggregateId: row.id, payload: { lead: leadSnapshot(row) } });
  return row;
}

async function applyChanges(trx: Db, tenantId: string, current: LeadRow, input: LeadChangesInput): Promise<LeadResult> {
  const validation = validateLeadChanges(input, { budgetMin: current.budget_min, budgetMax: current.budget_max });
  if (!validation.ok) return { lead: null, userErrors: invalidInput(validation.issues) };
  const { columns, changed } = diff(validation.changes, current);
  // Re-sending what is already stored (webhook retries, idempotent clients) changes nothing.
  if (changed.length === 0) return { lead: toLead(current), userErrors: [] };
  const row = await repo.updateLead(trx, tenantId, current.id, columns);
  await appendEvent(trx, PRODUCER, { type: "LeadUpdated", tenantId, aggregateId: row.id, payload: { lead: leadSnapshot(row), changed } });
  return { lead: toLead(row), userErrors: [] };
}

/** Applies the fields present in `input`; appends `LeadUpdated` when anything changed. */
export async function updateLead(db: Db, identity: Identity, input: UpdateLeadInput): Promise<LeadResult> {
  const idError = leadIdError(input.id);
  if (idError) return { lead: null, userErrors: [idError] };
  return withTenant(db, identity.tenant, async (trx) => {
    const current = await repo.findLeadForUpdate(trx, identity.tenant, input.id);
    if (!current) return notFound();
    if (input.expectedVersion != null && input.expectedVersion !== current.version) {
      return {
        lead: null,
        userErrors: [userError(UserErrorCode.CONFLICT, `the lead is at version ${current.version}, not ${input.expectedVersion}; reload and retry`, "expectedVersion")],
      };
    }
    const { id: _id, expectedVersion: _v, ...changes } = input;
    return applyChanges(trx, identity.tenant, current, changes);
  });
}

/** The user error of a malformed GHL contact id, or null when it is well-formed. */
export function ghlContactIdError(ghlContactId: string): UserError | null {
  return /^[A-Za-z0-9_-]{1,64}$/.test(ghlContactId) ? null : userError(UserErrorCode.INVALID_INPUT, "is not a GHL contact id", "ghlContactId");
}

/** The user error of a GHL contact no lead mirrors (the bridge retries it: the contact may be on its way). */
export function noLeadForContact(): UserError {
  return userError(UserErrorCode.NOT_FOUND, "no lead mirrors this GHL contact", "ghlContactId");
}

/** Creates or updates the lead mirroring a GHL contact; idempotent per `ghlContactId`. */
export async function upsertLeadFromGhl(db: Db, identity: Identity, input: UpsertLeadFromGhlInput): Promise<LeadResult & { created: boolean }> {
  const { ghlContactId, ...changes } = input;
  const contactError = ghlContactIdError(ghlContactId);
  if (contactError) return { lead: null, created: false, userErrors: [contactError] };
  const validation = validateLeadChanges(changes);
  if (!validation.ok) return { lead: null, created: false, userErrors: invalidInput(validation.issues) };
  return withTenant(db, identity.tenant, async (trx) => {
    const inserted = await insertNew(trx, identity.tenant, validation.changes, ghlContactId);
    if (inserted) return { lead: toLead(inserted), created: true, userErrors: [] };
    const current = await repo.findLeadByGhlIdForUpdate(trx, identity.tenant, ghlContactId);
    return { ...(await applyChanges(trx, identity.tenant, current!, changes)), created: false };
  });
}

// Moving to the status a lead already has succeeds and changes nothing, so a replayed move is harmless.
async function moveStatus(trx: Db, tenantId: string, current: LeadRow, status: LeadStatus): Promise<LeadResult> {
  const from = current.status as LeadStatus;
  if (from === status) return { lead: toLead(current), userErrors: [] };
  if (!canTransition(from, status)) {
    const legal = LEAD_TRANSITIONS[from];
    const hint = legal.length ? `it can move to ${legal.join(", ")}` : "it is final";
    return { lead: null, userErrors: [userError(UserErrorCode.ILLEGAL_TRANSITION, `a ${from} lead cannot move to ${status}; ${hint}`, "status")] };
  }
  const row = await repo.updateLead(trx, tenantId, current.id, { status });
  await appendEvent(trx, PRODUCER, { type: "LeadStatusChanged", tenantId, aggregateId: current.id, payload: { from, to: status, version: row.version } });
  return { lead: toLead(row), userErrors: [] };
}

/** Moves a lead along the pipeline; an illegal move is a user error naming the legal ones. */
export async function changeLeadStatus(db: Db, identity: Identity, id: string, status: LeadStatus): Promise<LeadResult> {
  const idError = leadIdError(id);
  if (idError) return { lead: null, userErrors: [idError] };
  return withTenant(db, identity.tenant, async (trx) => {
    const current = await repo.findLeadForUpdate(trx, identity.tenant, id);
    if (!current) return notFound();
    return moveStatus(trx, identity.tenant, current, status);
  });
}

/** {@link changeLeadStatus} for the lead mirroring a GHL contact (the bridge knows no lead ids). */
export async function changeLeadStatusByGhlContact(db: Db, identity: Identity, ghlContactId: string, status: LeadStatus): Promise<LeadResult> {
  const contactError = ghlContactIdError(ghlContactId);
  if (contactError) return { lead: null, userErrors: [contactError] };
  return withTenant(db, identity.tenant, async (trx) => {
    const current = await repo.findLeadByGhlIdForUpdate(trx, identity.tenant, ghlContactId);
    if (!current) return { lead: null, userErrors: [noLeadForContact()] };
    return moveStatus(trx, identity.tenant, current, status);
  });
}

/** What `recordLeadMessage` did. */
export interface RecordMessageResult {
  lead: Lead | null;
  /** False when the message had been recorded before (nothing was appended). */
  recorded: boolean;
  userErrors: UserError[];
}

const messageInput = z.object({
  messageId: z.string().trim().min(1, "must not be empty").max(128, "must be at most 128 characters"),
  channel: z.string().trim().min(1, "must not be empty").max(32, "must be at most 32 characters"),
  body: z.string().max(100_000, "must be at most 100,000 characters"),
});

/**
 * Records a message exchanged with the lead mirroring a GHL contact and appends
 * `LeadMessageReceived` (intelligence analyzes the inbound ones). Idempotent per
 * `messageId`: the ledger row and the event are written together or not at all.
 */
export async function recordLeadMessage(
  db: Db,
  identity: Identity,
  input: { ghlContactId: string; messageId: string; direction: "INBOUND" | "OUTBOUND"; channel: string; body: string },
): Promise<RecordMessageResult> {
  const contactError = ghlContactIdError(input.ghlContactId);
  const parsed = messageInput.safeParse(input);
  const errors = [...(contactError ? [contactError] : []), ...(parsed.success ? [] : invalidInput(parsed.error.issues))];
  if (errors.length || !parsed.success) return { lead: null, recorded: false, userErrors: errors };
  const { messageId, body } = parsed.data;
  const channel = parsed.data.channel.toUpperCase();
  return withTenant(db, identity.tenant, async (trx) => {
    const lead = await repo.findLeadByGhlIdForUpdate(trx, identity.tenant, input.ghlContactId);
    if (!lead) return { lead: null, recorded: false, userErrors: [noLeadForContact()] };
    const inserted = await repo.insertMessage(trx, { tenant_id: identity.tenant, message_id: messageId, lead_id: lead.id, direction: input.direction, channel });
    if (inserted) {
      await appendEvent(trx, PRODUCER, { type: "LeadMessageReceived", tenantId: identity.tenant, aggregateId: lead.id, payload: { messageId, direction: input.direction, channel, body } });
    }
    return { lead: toLead(lead), recorded: inserted, userErrors: [] };
  });
}

/** Adds a GHL note to the lead mirroring its contact; idempotent per GHL note id. */
export async function addLeadNoteFromGhl(
  db: Db,
  identity: Identity,
  input: { ghlContactId: string; ghlNoteId: string; body: string },
): Promise<{ note: Note | null; lead: Lead | null; userErrors: UserError[] }> {
  const contactError = ghlContactIdError(input.ghlContactId);
  const noteIdError = /^[A-Za-z0-9_-]{1,64}$/.test(input.ghlNoteId) ? null : userError(UserErrorCode.INVALID_INPUT, "is not a GHL note id", "ghlNoteId");
  const parsed = noteBody.safeParse(input.body);
  const errors = [contactError, noteIdError].filter((e): e is UserError => e !== null);
  if (!parsed.success) errors.push(...invalidInput(parsed.error.issues.map((i) => ({ ...i, path: ["body"] }))));
  if (errors.length || !parsed.success) return { note: null, lead: null, userErrors: errors };
  return withTenant(db, identity.tenant, async (trx) => {
    const lead = await repo.findLeadByGhlIdForUpdate(trx, identity.tenant, input.ghlContactId);
    if (!lead) return { note: null, lead: null, userErrors: [noLeadForContact()] };
    const inserted = await insertGhlNote(trx, { id: uuidv7(), tenant_id: identity.tenant, lead_id: lead.id, body: parsed.data, author: identity.sub, ghl_note_id: input.ghlNoteId });
    if (inserted) {
      await appendEvent(trx, PRODUCER, { type: "LeadNoteAdded", tenantId: identity.tenant, aggregateId: lead.id, payload: { noteId: inserted.id, author: inserted.author } });
      return { note: toNote(inserted), lead: toLead(lead), userErrors: [] };
    }
    const existing = await findGhlNote(trx, identity.tenant, input.ghlNoteId);
    return { note: existing ? toNote(existing) : null, lead: toLead(lead), userErrors: [] };
  });
}

/** Adds a note by the caller; appends `LeadNoteAdded`. */
export async function addLeadNote(db: Db, identity: Identity, leadId: string, body: string): Promise<{ note: Note | null; lead: Lead | null; userErrors: UserError[] }> {
  const idError = leadIdError(leadId, "leadId");
  const parsed = noteBody.safeParse(body);
  const errors = [...(idError ? [idError] : []), ...(parsed.success ? [] : invalidInput(parsed.error.issues.map((i) => ({ ...i, path: ["body"] }))))];
  if (errors.length || !parsed.success) return { note: null, lead: null, userErrors: errors };
  return withTenant(db, identity.tenant, async (trx) => {
    const lead = await repo.findLeadForUpdate(trx, identity.tenant, leadId);
    if (!lead) return { note: null, lead: null, userErrors: notFound("leadId").userErrors };
    const note = await insertNote(trx, { id: uuidv7(), tenant_id: identity.tenant, lead_id: leadId, body: parsed.data, author: identity.sub });
    await appendEvent(trx, PRODUCER, { type: "LeadNoteAdded", tenantId: identity.tenant, aggregateId: leadId, payload: { noteId: note.id, author: note.author } });
    return { note: toNote(note), lead: toLead(lead), userErrors: [] };
  });
}

/**
 * Deletes the lead mirroring a GHL contact, if any; appends `LeadDeleted`. Deleting what is
 * already gone succeeds with a null id, so a replayed delete is harmless.
 */
export async function deleteLeadByGhlContact(db: Db, identity: Identity, ghlContactId: string): Promise<{ deletedLeadId: string | null; userErrors: UserError[] }> {
  const contactError = ghlContactIdError(ghlContactId);
  if (contactError) return { deletedLeadId: null, userErrors: [contactError] };
  return withTenant(db, identity.tenant, async (trx) => {
    const current = await repo.findLeadByGhlIdForUpdate(trx, identity.tenant, ghlContactId);
    if (!current || !(await repo.deleteLead(trx, identity.tenant, current.id))) return { deletedLeadId: null, userErrors: [] };
    await appendEvent(trx, PRODUCER, { type: "LeadDeleted", tenantId: identity.tenant, aggregateId: current.id, payload: { ghlContactId } });
    return { deletedLeadId: current.id, userErrors: [] };
  });
}

/** Deletes a lead and its notes; appends `LeadDeleted`. */
export async function deleteLead(db: Db, identity: Identity, id: string): Promise<{ deletedLeadId: string | null; userErrors: UserError[] }> {
  const idError = leadIdError(id);
  if (idError) return { deletedLeadId: null, userErrors: [idError] };
  return withTenant(db, identity.tenant, async (trx) => {
    const current = await repo.findLeadForUpdate(trx, identity.tenant, id);
    if (!current || !(await repo.deleteLead(trx, identity.tenant, id))) return { deletedLeadId: null, userErrors: notFound().userErrors };
    await appendEvent(trx, PRODUCER, { type: "LeadDeleted", tenantId: identity.tenant, aggregateId: id, payload: { ghlContactId: current.ghl_contact_id } });
    return { deletedLeadId: id, userErrors: [] };
  });
}
