import { Role } from "../../lib/auth/roles";
import { storedEventsOf } from "../helpers/events";
import { bearer, graphql, startStack, uniqueTenant, type TestStack } from "../helpers/stack";

interface UserError {
  code: string;
  field: string[];
}

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

async function mutate<T>(tenant: string, role: Role, document: string, input: Record<string, unknown>): Promise<{ data?: T | null; errors?: { extensions?: { code?: string } }[] }> {
  return graphql<T>(stack.gatewayUrl, document, { input }, bearer(await stack.token(tenant, role)));
}

const UPSERT = `mutation($input: UpsertLeadFromGhlInput!) { upsertLeadFromGhl(input: $input) { lead { id dealValue } userErrors { code field } } }`;
const RECORD = `mutation($input: RecordLeadMessageInput!) { recordLeadMessage(input: $input) { recorded lead { id } userErrors { code field } } }`;
const STATUS = `mutation($input: ChangeLeadStatusByGhlContactInput!) { changeLeadStatusByGhlContact(input: $input) { lead { status } userErrors { code field } } }`;
const NOTE = `mutation($input: AddLeadNoteFromGhlInput!) { addLeadNoteFromGhl(input: $input) { note { id body } userErrors { code field } } }`;
const APPOINTMENT = `mutation($input: RecordAppointmentFromGhlInput!) { recordAppointmentFromGhl(input: $input) { applied appointment { ghlAppointmentId status startTime title } userErrors { code field } } }`;
const DELETE = `mutation($input: DeleteLeadByGhlContactInput!) { deleteLeadByGhlContact(input: $input) { deletedLeadId userErrors { code field } } }`;

async function mirror(tenant: string, ghlContactId: string): Promise<string> {
  const res = await mutate<{ upsertLeadFromGhl: { lead: { id: string; dealValue: number | null } } }>(tenant, Role.ADMIN, UPSERT, { ghlContactId, firstName: "Gh", lastName: "L", dealValue: 1200 });
  expect(res.data?.upsertLeadFromGhl.lead.dealValue).toBe(1200);
  return res.data!.upsertLeadFromGhl.lead.id;
}

describe("GHL mirror mutations", () => {
  it("recordLeadMessage appends LeadMessageReceived once per messageId", async () => {
    const tenant = uniqueTenant("ghlm");
    const leadId = await mirror(tenant, "c1");
    const input = { ghlContactId: "c1", messageId: "m1", direction: "INBOUND", channel: "sms", body: "Hi there" };
    const first = await mutate<{ recordLeadMessage: { recorded: boolean; lead: { id: string }; userErrors: UserError[] } }>(tenant, Role.ADMIN, RECORD, input);
    const again = await mutate<{ recordLeadMessage: { recorded: boolean; userErrors: UserError[] } }>(tenant, Role.ADMIN, RECORD, input);
    expect(first.data?.recordLeadMessage).toEqual({ recorded: true, lead: { id: leadId }, userErrors: [] });
    expect(again.data?.recordLeadMessage).toMatchObject({ recorded: false, userErrors: [] });
    const events = (await storedEventsOf(stack.ownerDb, tenant)).filter((event) => event.type === "LeadMessageReceived");
    expect(events.map((event) => event.payload)).toEqual([{ messageId: "m1", direction: "INBOUND", channel: "SMS", body: "Hi there" }]);
  });

  it("refuses unknown contacts, bad input and callers below ADMIN", async () => {
    const tenant = uniqueTenant("ghlm");
    const missing = await mutate<{ recordLeadMessage: { userErrors: UserError[] } }>(tenant, Role.ADMIN, RECORD, { ghlContactId: "nobody", messageId: "m", direction: "OUTBOUND", channel: "SMS", body: "" });
    expect(missing.data?.recordLeadMessage.userErrors).toEqual([{ code: "NOT_FOUND", field: ["input", "ghlContactId"] }]);
    const bad = await mutate<{ recordLeadMessage: { userErrors: UserError[] } }>(tenant, Role.ADMIN, RECORD, { ghlContactId: "bad id!", messageId: "", direction: "OUTBOUND", channel: "SMS", body: "" });
    expect(bad.data?.recordLeadMessage.userErrors.map((e) => e.field.join("."))).toEqual(["input.ghlContactId", "input.messageId"]);
    const agent = await mutate(tenant, Role.AGENT, DELETE, { ghlContactId: "c1" });
    expect(agent.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("changeLeadStatusByGhlContact follows the pipeline rules; addLeadNoteFromGhl is idempotent; deleteLeadByGhlContact twice succeeds", async () => {
    const tenant = uniqueTenant("ghlm");
    const leadId = await mirror(tenant, "c2");
    const illegal = await mutate<{ changeLeadStatusByGhlContact: { userErrors: UserError[] } }>(tenant, Role.ADMIN, STATUS, { ghlContactId: "c2", status: "CLOSED_WON" });
    expect(illegal.data?.changeLeadStatusByGhlContact.userErrors).toEqual([{ code: "ILLEGAL_TRANSITION", field: ["input", "status"] }]);
    const moved = await mutate<{ changeLeadStatusByGhlContact: { lead: { status: string } } }>(tenant, Role.ADMIN, STATUS, { ghlContactId: "c2", status: "CLOSED_LOST" });
    expect(moved.data?.changeLeadStatusByGhlContact.lead.status).toBe("CLOSED_LOST");

    const note = { ghlContactId: "c2", ghlNoteId: "n1", body: "Called back" };
    const a = await mutate<{ addLeadNoteFromGhl: { note: { id: string } } }>(tenant, Role.ADMIN, NOTE, note);
    const b = await mutate<{ addLeadNoteFromGhl: { note: { id: string } } }>(tenant, Role.ADMIN, NOTE, note);
    expect(b.data?.addLeadNoteFromGhl.note.id).toBe(a.data?.addLeadNoteFromGhl.note.id);
    expect((await storedEventsOf(stack.ownerDb, tenant)).filter((event) => event.type === "LeadNoteAdded")).toHaveLength(1);

    const deleted = await mutate<{ deleteLeadByGhlContact: { deletedLeadId: string | null } }>(tenant, Role.ADMIN, DELETE, { ghlContactId: "c2" });
    const again = await mutate<{ deleteLeadByGhlContact: { deletedLeadId: string | null; userErrors: UserError[] } }>(tenant, Role.ADMIN, DELETE, { ghlContactId: "c2" });
    expect(deleted.data?.deleteLeadByGhlContact.deletedLeadId).toBe(leadId);
    expect(again.data?.deleteLeadByGhlContact).toEqual({ deletedLeadId: null, userErrors: [] });
  });

  it("recordAppointmentFromGhl stores each appointment once, applies only newer versions, and a deletion is final", async () => {
    const tenant = uniqueTenant("ghlm");
    const leadId = await mirror(tenant, "c3");
    type Recorded = { recordAppointmentFromGhl: { applied: boolean; appointment: { ghlAppointmentId: string; status: string; startTime: string; title: string | null } | null; userErrors: UserError[] } };
    const base = { ghlAppointmentId: "a1", ghlContactId: "c3", calendarId: "cal1", startTime: "2026-06-01T15:00:00.000Z", endTime: "2026-06-01T16:00:00.000Z" };
    const record = async (input: Record<string, unknown>) => (await mutate<Recorded>(tenant, Role.ADMIN, APPOINTMENT, input)).data?.recordAppointmentFromGhl;

    expect(await record({ ...base, status: "CONFIRMED", title: "Showing", ghlUpdatedAt: "2026-05-01T10:00:00Z" })).toEqual({
      applied: true,
      appointment: { ghlAppointmentId: "a1", status: "CONFIRMED", startTime: "2026-06-01T15:00:00.000Z", title: "Showing" },
      userErrors: [],
    });
    // The same delivery again, then a newer version, then an older one arriving late.
    expect(await record({ ...base, status: "CONFIRMED", title: "Showing", ghlUpdatedAt: "2026-05-01T10:00:00Z" })).toMatchObject({ applied: false, appointment: { status: "CONFIRMED" } });
    expect(await record({ ...base, status: "CANCELLED", ghlUpdatedAt: "2026-05-03T10:00:00Z" })).toMatchObject({ applied: true, appointment: { status: "CANCELLED", title: null } });
    expect(await record({ ...base, status: "NEW", ghlUpdatedAt: "2026-05-02T10:00:00Z" })).toMatchObject({ applied: false, appointment: { status: "CANCELLED" } });
    const second = { ...base, ghlAppointmentId: "a2", startTime: "2026-06-02T15:00:00.000Z", endTime: "2026-06-02T15:30:00.000Z" };
    expect(await record({ ...second, status: "NEW", ghlUpdatedAt: "2026-05-01T11:00:00Z" })).toMatchObject({ applied: true });

    const token = await stack.token(tenant, Role.VIEWER);
    const page = async (after: string | null) =>
      graphql<{ lead: { appointments: { totalCount: number; nodes: { ghlAppointmentId: string; status: string; calendarId: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } }>(
        stack.gatewayUrl,
        `query($id: ID!, $after: String) { lead(id: $id) { appointments(first: 1, after: $after) { totalCount nodes { ghlAppointmentId status calendarId } pageInfo { hasNextPage endCursor } } } }`,
        { id: leadId, after },
        bearer(token),
      );
    const first = (await page(null)).data!.lead.appointments;
    expect(first).toMatchObject({ totalCount: 2, nodes: [{ ghlAppointmentId: "a2", status: "NEW", calendarId: "cal1" }], pageInfo: { hasNextPage: true } });
    const next = (await page(first.pageInfo.endCursor)).data!.lead.appointments;
    expect(next).toMatchObject({ nodes: [{ ghlAppointmentId: "a1", status: "CANCELLED" }], pageInfo: { hasNextPage: false } });

    // A deletion needs no times; it is final, whatever the stamps of later deliveries say.
    expect(await record({ ghlAppointmentId: "a1", ghlContactId: "c3", deleted: true, ghlUpdatedAt: "2026-05-04T10:00:00Z" })).toEqual({ applied: true, appointment: null, userErrors: [] });
    expect(await record({ ghlAppointmentId: "a1", ghlContactId: "c3", deleted: true, ghlUpdatedAt: "2026-05-04T10:00:00Z" })).toMatchObject({ applied: false, userErrors: [] });
    expect(await record({ ...base, status: "CONFIRMED", ghlUpdatedAt: "2026-05-09T10:00:00Z" })).toMatchObject({ applied: false, appointment: null });
    expect((await page(null)).data!.lead.appointments).toMatchObject({ totalCount: 1, nodes: [{ ghlAppointmentId: "a2" }] });
  });

  it("recordAppointmentFromGhl refuses incomplete versions, unknown contacts and callers without a write role", async () => {
    const tenant = uniqueTenant("ghlm");
    await mirror(tenant, "c4");
    type Recorded = { recordAppointmentFromGhl: { applied: boolean; userErrors: UserError[] } };
    const incomplete = await mutate<Recorded>(tenant, Role.ADMIN, APPOINTMENT, { ghlAppointmentId: "bad id!", ghlContactId: "c4", ghlUpdatedAt: "2026-05-01T10:00:00Z", endTime: "2026-05-01T10:00:00Z" });
    expect(incomplete.data?.recordAppointmentFromGhl.userErrors.map((e) => e.field.join("."))).toEqual(["input.ghlAppointmentId"]);
    const missing = await mutate<Recorded>(tenant, Role.ADMIN, APPOINTMENT, { ghlAppointmentId: "a1", ghlContactId: "c4", ghlUpdatedAt: "2026-05-01T10:00:00Z", startTime: "2026-05-02T10:00:00Z", endTime: "2026-05-02T09:00:00Z" });
    expect(missing.data?.recordAppointmentFromGhl.userErrors.map((e) => e.field.join("."))).toEqual(["input.status", "input.endTime"]);
    const unknown = await mutate<Recorded>(tenant, Role.ADMIN, APPOINTMENT, { ghlAppointmentId: "a1", ghlContactId: "nobody", status: "NEW", ghlUpdatedAt: "2026-05-01T10:00:00Z", startTime: "2026-05-02T10:00:00Z", endTime: "2026-05-02T11:00:00Z" });
    expect(unknown.data?.recordAppointmentFromGhl).toMatchObject({ applied: false, userErrors: [{ code: "NOT_FOUND", field: ["input", "ghlContactId"] }] });
    const viewer = await mutate(tenant, Role.VIEWER, APPOINTMENT, { ghlAppointmentId: "a1", ghlContactId: "c4", deleted: true, ghlUpdatedAt: "2026-05-01T10:00:00Z" });
    expect(viewer.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("lead events carry dealValue in their snapshot, as consumers read them", async () => {
    const tenant = uniqueTenant("ghlm");
    await mirror(tenant, "c5");
    const updated = await mutate<{ upsertLeadFromGhl: { lead: { dealValue: number } } }>(tenant, Role.ADMIN, UPSERT, { ghlContactId: "c5", dealValue: 450000 });
    expect(updated.data?.upsertLeadFromGhl.lead.dealValue).toBe(450000);
    const snapshots = (await storedEventsOf(stack.ownerDb, tenant)).flatMap((event) =>
      event.type === "LeadCreated" || event.type === "LeadUpdated" ? [[event.type, event.payload.lead.dealValue]] : [],
    );
    expect(snapshots).toEqual([
      ["LeadCreated", 1200],
      ["LeadUpdated", 450000],
    ]);
  });
});
