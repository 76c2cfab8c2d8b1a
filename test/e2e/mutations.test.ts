import { sql } from "kysely";
import { Role } from "../../lib/auth/roles";
import { isEventType, parseEventPayload } from "../../lib/events/event-types";
import { uuidv7 } from "../../lib/ids";
import { bearer, graphql, startStack, uniqueTenant, type GraphQLResponse, type TestStack } from "../helpers/stack";

// ---------------------------------------------------------------------------------------
// Types, operations and small helpers
// ---------------------------------------------------------------------------------------

interface Lead {
  id: string;
  ghlContactId: string | null;
  firstName: string;
  lastName: string;
  fullName: string;
  email: string | null;
  phone: string | null;
  source: string;
  status: string;
  tags: string[];
  budgetMin: number | null;
  budgetMax: number | null;
  timeline: string;
  financing: string;
  propertyTypes: string[];
  preferredAreas: string[];
  bedroomsMin: number | null;
  assignedTo: string | null;
  doNotContact: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}
interface UserError {
  field: string[];
  message: string;
  code: string;
}
interface Note {
  id: string;
  body: string;
  author: string;
  createdAt: string;
}
interface LeadPayload {
  lead: Lead | null;
  userErrors: UserError[];
}
interface Payloads {
  createLead: LeadPayload;
  updateLead: LeadPayload;
  changeLeadStatus: LeadPayload;
  addLeadNote: { note: Note | null; lead: { id: string } | null; userErrors: UserError[] };
  deleteLead: { deletedLeadId: string | null; userErrors: UserError[] };
  upsertLeadFromGhl: LeadPayload & { created: boolean };
}
type MutationName = keyof Payloads;
type Input = Record<string, unknown>;

const LEAD_FIELDS = `id ghlContactId firstName lastName fullName email phone source status tags budgetMin budgetMax timeline financing
  propertyTypes preferredAreas bedroomsMin assignedTo doNotContact version createdAt updatedAt`;
const USER_ERRORS = "userErrors { field message code }";

const INPUT_TYPE: Record<MutationName, string> = {
  createLead: "CreateLeadInput",
  updateLead: "UpdateLeadInput",
  changeLeadStatus: "ChangeLeadStatusInput",
  addLeadNote: "AddLeadNoteInput",
  deleteLead: "DeleteLeadInput",
  upsertLeadFromGhl: "UpsertLeadFromGhlInput",
};
const SELECTION: Record<MutationName, string> = {
  createLead: `lead { ${LEAD_FIELDS} } ${USER_ERRORS}`,
  updateLead: `lead { ${LEAD_FIELDS} } ${USER_ERRORS}`,
  changeLeadStatus: `lead { ${LEAD_FIELDS} } ${USER_ERRORS}`,
  addLeadNote: `note { id body author createdAt } lead { id } ${USER_ERRORS}`,
  deleteLead: `deletedLeadId ${USER_ERRORS}`,
  upsertLeadFromGhl: `created lead { ${LEAD_FIELDS} } ${USER_ERRORS}`,
};
const mutationDocument = (name: MutationName): string => `mutation M($input: ${INPUT_TYPE[name]}!) { ${name}(input: $input) { ${SELECTION[name]} } }`;

const READ_LEAD = `query Lead($id: ID!) { lead(id: $id) { ${LEAD_FIELDS} notes(first: 20) { totalCount nodes { id body author createdAt } } } }`;
const COUNT_LEADS = `{ leads(first: 1) { totalCount } }`;

const tenant = uniqueTenant("mutations");
let stack: TestStack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

async function send<T>(query: string, variables: Record<string, unknown>, role: Role): Promise<GraphQLResponse<T>> {
  return graphql<T>(stack.gatewayUrl, query, variables, bearer(await stack.token(tenant, role)));
}

/** Sends a mutation as `role`, returning the raw response (for GraphQL errors). */
function sendMutation<K extends MutationName>(name: K, input: Input, role: Role = Role.AGENT): Promise<GraphQLResponse<Record<K, Payloads[K]>>> {
  return send<Record<K, Payloads[K]>>(mutationDocument(name), { input }, role);
}

/** Sends a mutation that must not raise GraphQL errors, returning its payload. */
async function mutate<K extends MutationName>(name: K, input: Input, role: Role = Role.AGENT): Promise<Payloads[K]> {
  const response = await sendMutation(name, input, role);
  expect(response.errors).toBeUndefined();
  return response.data![name];
}

type ReadLead = Lead & { notes: { totalCount: number; nodes: Note[] } };
async function readLead(id: string): Promise<ReadLead | null> {
  const response = await send<{ lead: ReadLead | null }>(READ_LEAD, { id }, Role.VIEWER);
  expect(response.errors).toBeUndefined();
  return response.data!.lead;
}

async function countLeads(): Promise<number> {
  const response = await send<{ leads: { totalCount: number } }>(COUNT_LEADS, {}, Role.VIEWER);
  expect(response.errors).toBeUndefined();
  return response.data!.leads.totalCount;
}

const BASE: Input = {
  firstName: "Ada",
  lastName: "Lovelace",
  email: "ada@example.com",
  phone: "+15125550123",
  source: "ZILLOW",
  tags: ["investor", "cash"],
  budgetMin: 300000,
  budgetMax: 450000,
  timeline: "WITHIN_3_MONTHS",
  financing: "PRE_APPROVED",
  propertyTypes: ["CONDO", "TOWNHOUSE"],
  preferredAreas: ["Austin", "Round Rock"],
  bedroomsMin: 2,
  assignedTo: "agent-7",
  doNotContact: false,
};

/** Creates a lead (BASE with `overrides`) that the test can change. */
async function createLead(overrides: Input = {}): Promise<Lead> {
  const payload = await mutate("createLead", { ...BASE, ...overrides });
  expect(payload.userErrors).toEqual([]);
  return payload.lead!;
}

// Events: what the leads subgraph appended to this tenant's log (intelligence reacts with events of its own).

interface LoggedEvent {
  type: string;
  aggregateId: string;
  payload: unknown;
}

async function lastEventId(): Promise<number> {
  const { rows } = await sql<{ id: number }>`select coalesce(max(id), 0) as id from events.log where tenant_id = ${tenant} and producer = 'leads'`.execute(stack.ownerDb);
  return Number(rows[0]!.id);
}

/** Events appended for the tenant after `mark`, typed and validated as consumers read them. */
async function eventsSince(mark: number): Promise<LoggedEvent[]> {
  const { rows } = await sql<{ type: string; aggregate_id: string; payload: unknown }>`
    select type, aggregate_id, payload from events.log where tenant_id = ${tenant} and producer = 'leads' and id > ${mark} order by id`.execute(stack.ownerDb);
  return rows.map((row) => {
    if (!isEventType(row.type)) throw new Error(`unknown event type ${row.type}`);
    return { type: row.type, aggregateId: row.aggregate_id, payload: parseEventPayload(row.type, row.payload) };
  });
}

/** Runs `action` and returns what it returned and the events it appended. */
async function withEvents<T>(action: () => Promise<T>): Promise<{ result: T; events: LoggedEvent[] }> {
  const mark = await lastEventId();
  const result = await action();
  return { result, events: await eventsSince(mark) };
}

/** Exactly one event: `type` on `aggregateId`, its payload containing `payload`. */
function expectOneEvent(events: LoggedEvent[], type: string, aggregateId: string, payload: Record<string, unknown>): void {
  expect(events).toEqual([{ type, aggregateId, payload: expect.objectContaining(payload) }]);
}

const invalid = (field: string[], message: string): UserError => ({ field: ["input", ...field], code: "INVALID_INPUT", message: expect.stringContaining(message) as unknown as string });
const randomGhlId = (): string => `ghl-${Math.random().toString(36).slice(2, 12)}`;

// ---------------------------------------------------------------------------------------

describe("createLead", () => {
  it("creates a lead with every field given, and appends LeadCreated once", async () => {
    const { result, events } = await withEvents(() => mutate("createLead", BASE));
    expect(result.userErrors).toEqual([]);
    const lead = result.lead!;
    expect(lead).toEqual({
      ...BASE,
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      ghlContactId: null,
      fullName: "Ada Lovelace",
      status: "NEW",
      version: 1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(await readLead(lead.id)).toEqual({ ...lead, notes: { totalCount: 0, nodes: [] } });
    expectOneEvent(events, "LeadCreated", lead.id, {
      lead: expect.objectContaining({ firstName: "Ada", email: "ada@example.com", status: "NEW", tags: ["investor", "cash"], budgetMax: 450000, version: 1 }),
    });
  });

  it("fills the documented defaults for a lead with names only", async () => {
    const { lead, userErrors } = await mutate("createLead", { firstName: "Grace", lastName: "Hopper" });
    expect(userErrors).toEqual([]);
    expect(lead).toMatchObject({
      firstName: "Grace",
      lastName: "Hopper",
      email: null,
      phone: null,
      source: "OTHER",
      status: "NEW",
      tags: [],
      budgetMin: null,
      budgetMax: null,
      timeline: "UNKNOWN",
      financing: "UNKNOWN",
      propertyTypes: [],
      preferredAreas: [],
      bedroomsMin: null,
      assignedTo: null,
      doNotContact: false,
      version: 1,
    });
  });

  it.each<[string, Input, UserError[]]>([
    ["a malformed email", { email: "not-an-email" }, [invalid(["email"], "must be an email address")]],
    ["a phone not in E.164", { phone: "555-1234" }, [invalid(["phone"], "E.164")]],
    ["a blank first name", { firstName: "   " }, [invalid(["firstName"], "must not be empty")]],
    ["a missing last name", { lastName: undefined }, [invalid(["lastName"], "must not be empty")]],
    ["a first name over 100 characters", { firstName: "x".repeat(101) }, [invalid(["firstName"], "at most 100 characters")]],
    ["an empty tag", { tags: ["ok", ""] }, [invalid(["tags", "1"], "must not be empty")]],
    ["a negative budgetMin", { budgetMin: -1 }, [invalid(["budgetMin"], "must not be negative")]],
    ["budgetMin above budgetMax", { budgetMin: 500000, budgetMax: 400000 }, [invalid(["budgetMin"], "must not exceed budgetMax")]],
    ["bedroomsMin above 20", { bedroomsMin: 21 }, [invalid(["bedroomsMin"], "at most 20")]],
    ["two bad fields at once", { email: "nope", phone: "12" }, [invalid(["email"], "email"), invalid(["phone"], "E.164")]],
  ])("refuses %s with INVALID_INPUT on the field, appending nothing", async (_label, overrides, expected) => {
    const before = await countLeads();
    const { result, events } = await withEvents(() => mutate("createLead", { ...BASE, ...overrides }));
    expect(result).toEqual({ lead: null, userErrors: expected });
    expect(events).toEqual([]);
    expect(await countLeads()).toBe(before);
  });
});

describe("updateLead", () => {
  it("changes only the fields present, and appends LeadUpdated naming them", async () => {
    const before = await createLead();
    const { result, events } = await withEvents(() => mutate("updateLead", { id: before.id, lastName: "Byron", tags: ["vip"] }));
    expect(result.userErrors).toEqual([]);
    const expected = { ...before, lastName: "Byron", fullName: "Ada Byron", tags: ["vip"], version: 2, updatedAt: expect.any(String) };
    expect(result.lead).toEqual(expected);
    expect(await readLead(before.id)).toEqual({ ...expected, notes: { totalCount: 0, nodes: [] } });
    expectOneEvent(events, "LeadUpdated", before.id, { changed: ["lastName", "tags"], lead: expect.objectContaining({ lastName: "Byron", tags: ["vip"], email: "ada@example.com", version: 2 }) });
  });

  it("clears a nullable field given null", async () => {
    const before = await createLead();
    const { result, events } = await withEvents(() => mutate("updateLead", { id: before.id, email: null, budgetMin: null, assignedTo: null }));
    expect(result.userErrors).toEqual([]);
    expect(result.lead).toEqual({ ...before, email: null, budgetMin: null, assignedTo: null, version: 2, updatedAt: expect.any(String) });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "LeadUpdated", aggregateId: before.id });
    expect([...(events[0]!.payload as { changed: string[] }).changed].sort()).toEqual(["assignedTo", "budgetMin", "email"]);
  });

  it("applies with a matching expectedVersion, then refuses the stale one", async () => {
    const lead = await createLead();
    const applied = await mutate("updateLead", { id: lead.id, expectedVersion: 1, firstName: "Augusta" });
    expect(applied).toEqual({ lead: expect.objectContaining({ firstName: "Augusta", version: 2 }), userErrors: [] });
    const stale = await mutate("updateLead", { id: lead.id, expectedVersion: 1, firstName: "Ada" });
    expect(stale).toEqual({ lead: null, userErrors: [{ field: ["input", "expectedVersion"], code: "CONFLICT", message: expect.stringContaining("version 2, not 1") }] });
    expect((await readLead(lead.id))?.firstName).toBe("Augusta");
  });

  it("treats re-sending the stored values as a no-op (no new version, no event)", async () => {
    const lead = await createLead();
    const { result, events } = await withEvents(() => mutate("updateLead", { id: lead.id, firstName: lead.firstName, tags: lead.tags, budgetMin: lead.budgetMin }));
    expect(result).toEqual({ lead, userErrors: [] });
    expect(events).toEqual([]);
  });

  it.each<[string, Input, UserError]>([
    ["null firstName", { firstName: null }, invalid(["firstName"], "cannot be null")],
    ["null tags", { tags: null }, invalid(["tags"], "cannot be null")],
    ["a malformed email", { email: "@nope" }, invalid(["email"], "must be an email address")],
    ["budgetMax below the stored budgetMin", { budgetMax: 1000 }, invalid(["budgetMax"], "must not be below budgetMin")],
    ["a stale expectedVersion", { expectedVersion: 7, firstName: "Other" }, { field: ["input", "expectedVersion"], code: "CONFLICT", message: expect.stringContaining("version 1, not 7") as unknown as string }],
  ])("refuses %s, leaving the lead as it was", async (_label, changes, expected) => {
    const before = await createLead();
    const { result, events } = await withEvents(() => mutate("updateLead", { id: before.id, ...changes }));
    expect(result).toEqual({ lead: null, userErrors: [expected] });
    expect(events).toEqual([]);
    expect(await readLead(before.id)).toEqual({ ...before, notes: { totalCount: 0, nodes: [] } });
  });
});

describe("changeLeadStatus", () => {
  const CHAIN = ["NEW", "CONTACTED", "QUALIFIED", "APPOINTMENT_SET", "UNDER_CONTRACT", "CLOSED_WON"];

  /** Moves a new lead through `path` (legal moves) and returns it. */
  async function leadAt(path: readonly string[]): Promise<Lead> {
    let lead = await createLead();
    for (const status of path) {
      const payload = await mutate("changeLeadStatus", { id: lead.id, status });
      expect(payload.userErrors).toEqual([]);
      lead = payload.lead!;
    }
    return lead;
  }

  it("moves NEW → CONTACTED → QUALIFIED → APPOINTMENT_SET → UNDER_CONTRACT → CLOSED_WON, one LeadStatusChanged per step", async () => {
    const lead = await createLead();
    for (let step = 1; step < CHAIN.length; step++) {
      const [from, to] = [CHAIN[step - 1]!, CHAIN[step]!];
      const { result, events } = await withEvents(() => mutate("changeLeadStatus", { id: lead.id, status: to }));
      expect(result.userErrors).toEqual([]);
      expect(result.lead).toMatchObject({ id: lead.id, status: to, version: step + 1 });
      expectOneEvent(events, "LeadStatusChanged", lead.id, { from, to, version: step + 1 });
    }
    expect(await readLead(lead.id)).toMatchObject({ status: "CLOSED_WON", version: CHAIN.length });
  });

  it.each<[string[], string, string]>([
    [[], "APPOINTMENT_SET", "it can move to CONTACTED, QUALIFIED, CLOSED_LOST"],
    [[], "CLOSED_WON", "it can move to CONTACTED, QUALIFIED, CLOSED_LOST"],
    [["CONTACTED", "QUALIFIED", "UNDER_CONTRACT", "CLOSED_WON"], "CLOSED_LOST", "it is final"],
    [["CLOSED_LOST"], "QUALIFIED", "it can move to CONTACTED"],
  ])("after %j refuses a move to %s as ILLEGAL_TRANSITION, status unchanged", async (path, to, hint) => {
    const lead = await leadAt(path);
    const { result, events } = await withEvents(() => mutate("changeLeadStatus", { id: lead.id, status: to }));
    expect(result).toEqual({
      lead: null,
      userErrors: [{ field: ["input", "status"], code: "ILLEGAL_TRANSITION", message: `a ${lead.status} lead cannot move to ${to}; ${hint}` }],
    });
    expect(events).toEqual([]);
    expect(await readLead(lead.id)).toMatchObject({ status: lead.status, version: lead.version });
  });

  it("treats a move to the current status as a no-op", async () => {
    const lead = await createLead();
    const { result, events } = await withEvents(() => mutate("changeLeadStatus", { id: lead.id, status: "NEW" }));
    expect(result).toEqual({ lead, userErrors: [] });
    expect(events).toEqual([]);
  });
});

describe("addLeadNote", () => {
  it("adds notes by the caller, newest first in Lead.notes, one LeadNoteAdded each", async () => {
    const lead = await createLead();
    const added: Note[] = [];
    for (const body of ["  Called, left a voicemail.  ", "Booked a showing for Saturday."]) {
      const { result, events } = await withEvents(() => mutate("addLeadNote", { leadId: lead.id, body }));
      expect(result).toEqual({
        note: { id: expect.any(String), body: body.trim(), author: "user-agent", createdAt: expect.any(String) },
        lead: { id: lead.id },
        userErrors: [],
      });
      expectOneEvent(events, "LeadNoteAdded", lead.id, { noteId: result.note!.id, author: "user-agent" });
      added.push(result.note!);
    }
    const notes = (await readLead(lead.id))!.notes;
    expect(notes.totalCount).toBe(2);
    expect(notes.nodes).toEqual([added[1], added[0]]);
  });

  it("accepts a body of exactly 10,000 characters", async () => {
    const lead = await createLead();
    const { note, userErrors } = await mutate("addLeadNote", { leadId: lead.id, body: "y".repeat(10_000) });
    expect(userErrors).toEqual([]);
    expect(note?.body).toHaveLength(10_000);
  });

  it.each<[string, string, string]>([
    ["an empty body", "", "must not be empty"],
    ["a blank body", "   \n ", "must not be empty"],
    ["a body over 10,000 characters", "z".repeat(10_001), "at most 10,000 characters"],
  ])("refuses %s with INVALID_INPUT on body, adding nothing", async (_label, body, message) => {
    const lead = await createLead();
    const { result, events } = await withEvents(() => mutate("addLeadNote", { leadId: lead.id, body }));
    expect(result).toEqual({ note: null, lead: null, userErrors: [invalid(["body"], message)] });
    expect(events).toEqual([]);
    expect((await readLead(lead.id))!.notes.totalCount).toBe(0);
  });
});

describe("deleteLead", () => {
  it("is FORBIDDEN to an AGENT, and the lead stays", async () => {
    const lead = await createLead();
    const { result, events } = await withEvents(() => sendMutation("deleteLead", { id: lead.id }, Role.AGENT));
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.map((error) => error.extensions?.code)).toEqual(["FORBIDDEN"]);
    expect(events).toEqual([]);
    expect(await readLead(lead.id)).toMatchObject({ id: lead.id, version: 1 });
  });

  it("lets an ADMIN delete a lead with its notes; it then reads as null", async () => {
    const lead = await createLead();
    await mutate("addLeadNote", { leadId: lead.id, body: "to be deleted with the lead" });
    const { result, events } = await withEvents(() => mutate("deleteLead", { id: lead.id }, Role.ADMIN));
    expect(result).toEqual({ deletedLeadId: lead.id, userErrors: [] });
    expectOneEvent(events, "LeadDeleted", lead.id, { ghlContactId: null });
    expect(await readLead(lead.id)).toBeNull();
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from leads.notes where lead_id = ${lead.id}`.execute(stack.ownerDb);
    expect(rows[0]!.n).toBe(0);

    const again = await withEvents(() => mutate("deleteLead", { id: lead.id }, Role.ADMIN));
    expect(again.result).toEqual({ deletedLeadId: null, userErrors: [{ field: ["input", "id"], code: "NOT_FOUND", message: expect.any(String) }] });
    expect(again.events).toEqual([]);
  });
});

describe("upsertLeadFromGhl", () => {
  const contact = (ghlContactId: string): Input => ({ ghlContactId, firstName: "Linus", lastName: "Pauling", email: "linus@example.com", phone: "+15125550199", tags: ["ghl"] });

  it("creates on the first call, then leaves the lead alone when nothing changed", async () => {
    const input = contact(randomGhlId());
    const first = await withEvents(() => mutate("upsertLeadFromGhl", input));
    expect(first.result.userErrors).toEqual([]);
    expect(first.result.created).toBe(true);
    const lead = first.result.lead!;
    expect(lead).toMatchObject({ ...input, source: "GHL_IMPORT", status: "NEW", version: 1 });
    expectOneEvent(first.events, "LeadCreated", lead.id, { lead: expect.objectContaining({ ghlContactId: input["ghlContactId"], version: 1 }) });

    const second = await withEvents(() => mutate("upsertLeadFromGhl", input));
    expect(second.result).toEqual({ created: false, lead, userErrors: [] });
    expect(second.events).toEqual([]);
  });

  it("applies a partial update (only tags), keeping every other field", async () => {
    const input = contact(randomGhlId());
    const created = (await mutate("upsertLeadFromGhl", input)).lead!;
    const { result, events } = await withEvents(() => mutate("upsertLeadFromGhl", { ghlContactId: input["ghlContactId"], tags: ["ghl", "hot"] }));
    expect(result).toEqual({ created: false, lead: { ...created, tags: ["ghl", "hot"], version: 2, updatedAt: expect.any(String) }, userErrors: [] });
    expectOneEvent(events, "LeadUpdated", created.id, { changed: ["tags"] });
  });

  it.each<[string, Input, UserError]>([
    ["a malformed ghlContactId", { ghlContactId: "not a ghl id!" }, invalid(["ghlContactId"], "is not a GHL contact id")],
    ["a malformed email", { email: "linus-at-example" }, invalid(["email"], "must be an email address")],
  ])("refuses %s with INVALID_INPUT, creating nothing", async (_label, overrides, expected) => {
    const before = await countLeads();
    const { result, events } = await withEvents(() => mutate("upsertLeadFromGhl", { ...contact(randomGhlId()), ...overrides }));
    expect(result).toEqual({ created: false, lead: null, userErrors: [expected] });
    expect(events).toEqual([]);
    expect(await countLeads()).toBe(before);
  });
});

describe("unknown and malformed lead ids", () => {
  const ID_FIELD: [MutationName, string, Input, Role][] = [
    ["updateLead", "id", { firstName: "Nobody" }, Role.AGENT],
    ["changeLeadStatus", "id", { status: "CONTACTED" }, Role.AGENT],
    ["addLeadNote", "leadId", { body: "hello" }, Role.AGENT],
    ["deleteLead", "id", {}, Role.ADMIN],
  ];
  const CASES = ID_FIELD.flatMap(([name, field, rest, role]) => [
    [name, "an unknown id", field, { ...rest, [field]: uuidv7() }, role, "NOT_FOUND", "no lead with this id"] as const,
    [name, "a malformed id", field, { ...rest, [field]: "lead-42" }, role, "INVALID_INPUT", "is not a valid lead id"] as const,
  ]);

  it.each(CASES)("%s with %s is %s on its id field, appending nothing", async (name, _label, field, input, role, code, message) => {
    const { result, events } = await withEvents(() => mutate(name, input, role));
    expect(result.userErrors).toEqual([{ field: ["input", field], code, message }]);
    expect(events).toEqual([]);
  });
});

describe("a VIEWER", () => {
  let lead: Lead;
  beforeAll(async () => {
    lead = await createLead({ email: "viewer-target@example.com" });
  });

  it.each<[MutationName, () => Input]>([
    ["createLead", () => ({ firstName: "Vic", lastName: "Viewer" })],
    ["updateLead", () => ({ id: lead.id, firstName: "Changed" })],
    ["changeLeadStatus", () => ({ id: lead.id, status: "CONTACTED" })],
    ["addLeadNote", () => ({ leadId: lead.id, body: "viewer note" })],
    ["deleteLead", () => ({ id: lead.id })],
    ["upsertLeadFromGhl", () => ({ ghlContactId: randomGhlId(), firstName: "Vic" })],
  ])("calling %s is FORBIDDEN and changes nothing", async (name, input) => {
    const count = await countLeads();
    const { result, events } = await withEvents(() => sendMutation(name, input(), Role.VIEWER));
    expect(result.data ?? null).toBeNull();
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.extensions?.code).toBe("FORBIDDEN");
    expect(events).toEqual([]);
    expect(await countLeads()).toBe(count);
    expect(await readLead(lead.id)).toEqual({ ...lead, notes: { totalCount: 0, nodes: [] } });
  });
});
