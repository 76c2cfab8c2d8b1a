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
});
