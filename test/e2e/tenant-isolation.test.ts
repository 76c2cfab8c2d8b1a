import { sql } from "kysely";
import { createIdentitySigner } from "../../lib/auth/identity";
import { Role } from "../../lib/auth/roles";
import { withTenant } from "../../lib/db/tenant";
import { eventually } from "../helpers/eventually";
import { insertLeads, leadRow } from "../helpers/fixtures";
import { bearer, graphql, startStack, uniqueTenant, type GraphQLResponse, type TestStack } from "../helpers/stack";

// ---------------------------------------------------------------------------------------
// Types, operations and small helpers
// ---------------------------------------------------------------------------------------

interface LeadRef {
  id: string;
  fullName: string;
}
interface LeadsPage {
  totalCount: number;
  pageInfo: { startCursor: string | null; endCursor: string | null };
  nodes: { id: string }[];
}
interface UserError {
  field: string[];
  message: string;
  code: string;
}

const LEAD = `query Lead($id: ID!) { lead(id: $id) { id fullName } }`;
const LEADS = `query Leads($first: Int, $after: String, $last: Int, $before: String, $filter: LeadFilter, $orderBy: LeadOrder) {
  leads(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    totalCount pageInfo { startCursor endCursor } nodes { id }
  }
}`;
const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Lead { id fullName } } }`;
const CREATE = `mutation($input: CreateLeadInput!) { createLead(input: $input) { lead { id } userErrors { code } } }`;
const UPSERT = `mutation($input: UpsertLeadFromGhlInput!) {
  upsertLeadFromGhl(input: $input) { created lead { id ghlContactId firstName version } userErrors { field message code } }
}`;
const WRITES = {
  updateLead: `mutation($input: UpdateLeadInput!) { updateLead(input: $input) { lead { id } userErrors { field message code } } }`,
  changeLeadStatus: `mutation($input: ChangeLeadStatusInput!) { changeLeadStatus(input: $input) { lead { id } userErrors { field message code } } }`,
  addLeadNote: `mutation($input: AddLeadNoteInput!) { addLeadNote(input: $input) { note { id } lead { id } userErrors { field message code } } }`,
  deleteLead: `mutation($input: DeleteLeadInput!) { deleteLead(input: $input) { deletedLeadId userErrors { field message code } } }`,
} as const;
type WriteName = keyof typeof WRITES;

const tenantA = uniqueTenant("iso-a");
const tenantB = uniqueTenant("iso-b");
const SHARED_GHL_ID = `ghl-shared-${Math.random().toString(36).slice(2, 10)}`;
const A_EMAIL = `only-in-a-${Math.random().toString(36).slice(2, 10)}@example.com`;

let stack: TestStack;
/** Every lead of A, and of B (kept current as tests add B leads). */
let aIds: string[] = [];
const bIds = new Set<string>();
let aGhlLeadId = "";
let aEmailLeadId = "";

async function asTenant<T>(tenantId: string, query: string, variables: Record<string, unknown> = {}, role: Role = Role.ADMIN): Promise<GraphQLResponse<T>> {
  return graphql<T>(stack.gatewayUrl, query, variables, bearer(await stack.token(tenantId, role)));
}

async function okAs<T>(tenantId: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await asTenant<T>(tenantId, query, variables);
  expect(response.errors).toBeUndefined();
  return response.data!;
}

/** A direct call to the leads subgraph with a gateway-signed identity token for `tenantId`. */
async function subgraphAs<T>(tenantId: string, query: string, variables: Record<string, unknown>): Promise<GraphQLResponse<T>> {
  const token = await createIdentitySigner(stack.identityKeys.privateKeyPem).sign({ sub: "isolation-test", tenant: tenantId, role: Role.ADMIN, scopes: [] }, "leads");
  return graphql<T>(stack.leadsUrl, query, variables, bearer(token));
}

/** What the owner (no RLS) sees of one lead row, and the number of its notes. */
async function ownerView(id: string): Promise<{ row: Record<string, unknown> | undefined; notes: number }> {
  const rows = await sql<Record<string, unknown>>`select * from leads.leads where id = ${id}`.execute(stack.ownerDb);
  const notes = await sql<{ n: number }>`select count(*)::int as n from leads.notes where lead_id = ${id}`.execute(stack.ownerDb);
  return { row: rows.rows[0], notes: notes.rows[0]!.n };
}

async function eventCount(): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from events.log where tenant_id in (${tenantA}, ${tenantB})`.execute(stack.ownerDb);
  return rows[0]!.n;
}

const sameSet = (actual: readonly string[], expected: Iterable<string>): void => expect(new Set(actual)).toEqual(new Set(expected));

beforeAll(async () => {
  stack = await startStack();
  const fixtureA = await insertLeads(stack.appDb, tenantA, 4, 2);
  const created = await okAs<{ createLead: { lead: { id: string } } }>(tenantA, CREATE, { input: { firstName: "Alice", lastName: "Only-A", email: A_EMAIL } });
  aEmailLeadId = created.createLead.lead.id;
  const upserted = await okAs<{ upsertLeadFromGhl: { created: boolean; lead: { id: string } } }>(tenantA, UPSERT, { input: { ghlContactId: SHARED_GHL_ID, firstName: "Gale", lastName: "Mirror" } });
  expect(upserted.upsertLeadFromGhl.created).toBe(true);
  aGhlLeadId = upserted.upsertLeadFromGhl.lead.id;
  aIds = [...fixtureA, aEmailLeadId, aGhlLeadId];
  for (const id of await insertLeads(stack.appDb, tenantB, 3, 1)) bIds.add(id);
});
afterAll(() => stack.stop());

// ---------------------------------------------------------------------------------------

describe("reads: a token for B never reaches A's leads", () => {
  it("lead(id) of every A lead is null for B (and found for A)", async () => {
    for (const id of aIds) {
      expect((await okAs<{ lead: LeadRef | null }>(tenantB, LEAD, { id })).lead).toBeNull();
      expect((await okAs<{ lead: LeadRef | null }>(tenantA, LEAD, { id })).lead?.id).toBe(id);
    }
  });

  it("leads lists only B's, with B's totalCount", async () => {
    const { leads } = await okAs<{ leads: LeadsPage }>(tenantB, LEADS, { first: 100 });
    expect(leads.totalCount).toBe(bIds.size);
    sameSet(leads.nodes.map((node) => node.id), bIds);
  });

  it("a search for A's lead email finds nothing for B (and it for A)", async () => {
    const filter = { search: A_EMAIL.toUpperCase() };
    const forB = await okAs<{ leads: LeadsPage }>(tenantB, LEADS, { first: 100, filter });
    expect(forB.leads).toMatchObject({ totalCount: 0, nodes: [] });
    const forA = await okAs<{ leads: LeadsPage }>(tenantA, LEADS, { first: 100, filter });
    expect(forA.leads).toMatchObject({ totalCount: 1, nodes: [{ id: aEmailLeadId }] });
  });

  it.each([
    ["after", "first", undefined],
    ["before", "last", undefined],
    ["after", "first", { field: "NAME", direction: "ASC" }],
    ["before", "last", { field: "UPDATED_AT", direction: "DESC" }],
  ] as const)("a cursor from A's listing passed as %s (%s) yields an error or B-only results, never A's leads (order %j)", async (cursorArg, sizeArg, orderBy) => {
    const fromA = await okAs<{ leads: LeadsPage }>(tenantA, LEADS, { first: 2, ...(orderBy ? { orderBy } : {}) });
    expect(fromA.leads.nodes).toHaveLength(2);
    const cursor = cursorArg === "after" ? fromA.leads.pageInfo.endCursor : fromA.leads.pageInfo.startCursor;
    const response = await asTenant<{ leads: LeadsPage }>(tenantB, LEADS, { [sizeArg]: 100, [cursorArg]: cursor, ...(orderBy ? { orderBy } : {}) });
    if (response.errors) {
      expect(response.errors.map((error) => error.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
      expect(response.data ?? null).toBeNull();
    } else {
      const ids = response.data!.leads.nodes.map((node) => node.id);
      expect(ids.filter((id) => !bIds.has(id))).toEqual([]);
      expect(response.data!.leads.totalCount).toBe(bIds.size);
    }
    expect(JSON.stringify(response)).not.toMatch(new RegExp(aIds.join("|")));
  });
});

describe("_entities: no way around the gateway's API schema or the subgraph's tenant", () => {
  const representations = (ids: readonly string[]) => ({ r: ids.map((id) => ({ __typename: "Lead", id })) });

  it("the gateway refuses _entities as GRAPHQL_VALIDATION_FAILED without calling the subgraph", async () => {
    const callsBefore = stack.leadsRequests.length;
    const response = await asTenant<{ _entities: unknown }>(tenantB, ENTITIES, representations([aIds[0]!]));
    // Both `_entities` and its `_Any` argument type are unknown to the API schema.
    expect(response.errors?.length).toBeGreaterThan(0);
    expect(response.errors!.every((error) => error.extensions?.code === "GRAPHQL_VALIDATION_FAILED")).toBe(true);
    expect(response.errors!.some((error) => error.message.includes('"_entities"'))).toBe(true);
    expect(response.data ?? null).toBeNull();
    expect(stack.leadsRequests.length).toBe(callsBefore);
  });

  it("the subgraph, called directly as B, resolves A's ids to null and B's own to the lead", async () => {
    const [bId] = [...bIds] as [string];
    const response = await subgraphAs<{ _entities: (LeadRef | null)[] }>(tenantB, ENTITIES, representations([...aIds, bId]));
    expect(response.errors).toBeUndefined();
    expect(response.data!._entities).toEqual([...aIds.map(() => null), { id: bId, fullName: expect.any(String) }]);

    const asA = await subgraphAs<{ _entities: (LeadRef | null)[] }>(tenantA, ENTITIES, representations([aIds[0]!]));
    expect(asA.data!._entities).toEqual([{ id: aIds[0], fullName: expect.any(String) }]);
  });

  it("the subgraph refuses _entities without an identity token", async () => {
    const response = await graphql<{ _entities: unknown }>(stack.leadsUrl, ENTITIES, representations([aIds[0]!]));
    expect(response.status).toBe(401);
    expect(response.errors?.map((error) => error.extensions?.code)).toEqual(["UNAUTHENTICATED"]);
    expect(response.data ?? null).toBeNull();
  });
});

describe("writes: B cannot change A's leads", () => {
  it.each<[WriteName, (id: string) => Record<string, unknown>, string]>([
    ["updateLead", (id) => ({ id, firstName: "Hijacked" }), "id"],
    ["changeLeadStatus", (id) => ({ id, status: "CONTACTED" }), "id"],
    ["addLeadNote", (id) => ({ leadId: id, body: "B was here" }), "leadId"],
    ["deleteLead", (id) => ({ id }), "id"],
  ])("%s on an A lead is NOT_FOUND, and A's row, notes and log are untouched", async (name, input, field) => {
    const target = aIds[0]!;
    const before = await ownerView(target);
    expect(before.row).toMatchObject({ tenant_id: tenantA });
    const events = await eventCount();

    const response = await asTenant<Record<WriteName, { userErrors: UserError[] }>>(tenantB, WRITES[name], { input: input(target) });
    expect(response.errors).toBeUndefined();
    expect(response.data![name]).toMatchObject({ userErrors: [{ field: ["input", field], code: "NOT_FOUND", message: expect.any(String) }] });

    expect(await ownerView(target)).toEqual(before);
    expect(await eventCount()).toBe(events);
  });

  it("upsertLeadFromGhl with A's ghlContactId creates a separate B lead; A's stays as it was", async () => {
    const aBefore = await ownerView(aGhlLeadId);
    const input = { ghlContactId: SHARED_GHL_ID, firstName: "Bea", lastName: "Other-Tenant" };

    const first = await okAs<{ upsertLeadFromGhl: { created: boolean; lead: { id: string; ghlContactId: string; firstName: string; version: number } } }>(tenantB, UPSERT, { input });
    expect(first.upsertLeadFromGhl).toMatchObject({ created: true, lead: { ghlContactId: SHARED_GHL_ID, firstName: "Bea", version: 1 }, userErrors: [] });
    const bLeadId = first.upsertLeadFromGhl.lead.id;
    expect(bLeadId).not.toBe(aGhlLeadId);
    bIds.add(bLeadId);

    const again = await okAs<{ upsertLeadFromGhl: { created: boolean; lead: { id: string } } }>(tenantB, UPSERT, { input: { ghlContactId: SHARED_GHL_ID, lastName: "Changed-By-B" } });
    expect(again.upsertLeadFromGhl).toMatchObject({ created: false, lead: { id: bLeadId } });

    expect((await ownerView(bLeadId)).row).toMatchObject({ tenant_id: tenantB, ghl_contact_id: SHARED_GHL_ID, first_name: "Bea", last_name: "Changed-By-B" });
    expect(await ownerView(aGhlLeadId)).toEqual(aBefore);
    expect(aBefore.row).toMatchObject({ tenant_id: tenantA, first_name: "Gale", last_name: "Mirror", version: 1 });
    expect((await okAs<{ lead: LeadRef | null }>(tenantB, LEAD, { id: aGhlLeadId })).lead).toBeNull();
    expect((await okAs<{ lead: LeadRef | null }>(tenantA, LEAD, { id: bLeadId })).lead).toBeNull();
  });
});

describe("row-level security: the backstop when a query forgets the tenant", () => {
  it("with B's tenant set, an unfiltered select returns exactly B's rows", async () => {
    const leads = await withTenant(stack.appDb, tenantB, (trx) => trx.selectFrom("leads.leads").selectAll().execute());
    expect(leads.length).toBeGreaterThan(0);
    expect(new Set(leads.map((row) => row.tenant_id))).toEqual(new Set([tenantB]));
    sameSet(leads.map((row) => row.id), bIds);

    const notes = await withTenant(stack.appDb, tenantB, (trx) => trx.selectFrom("leads.notes").selectAll().execute());
    expect(notes).toHaveLength(3);
    expect(notes.every((note) => note.tenant_id === tenantB && bIds.has(note.lead_id))).toBe(true);
  });

  it("with no tenant set, an unfiltered select returns no rows at all", async () => {
    expect(await stack.appDb.selectFrom("leads.leads").selectAll().execute()).toEqual([]);
    expect(await stack.appDb.selectFrom("leads.notes").selectAll().execute()).toEqual([]);
    const events = await sql<{ n: number }>`select count(*)::int as n from events.log`.execute(stack.appDb);
    expect(events.rows[0]!.n).toBe(0);
  });

  it("covers every tenant-owned table of every service: RLS on, and nothing visible to the app role without a tenant", async () => {
    const { rows: tables } = await sql<{ schema: string; table: string; rls: boolean; policies: number }>`
      select n.nspname as schema, c.relname as table, c.relrowsecurity as rls,
        (select count(*)::int from pg_policy p where p.polrelid = c.oid) as policies
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
      where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema')
        -- The one exception: API keys are looked up before their tenant is known (the app role may only read them).
        and (n.nspname, c.relname) <> ('gateway', 'api_keys')
      order by 1, 2`.execute(stack.ownerDb);
    expect(tables.map((t) => `${t.schema}.${t.table}`)).toEqual(expect.arrayContaining(["leads.leads", "intelligence.scores", "intelligence.properties", "events.log"]));
    expect(tables.filter((t) => !t.rls || t.policies === 0)).toEqual([]);
    // Intelligence has scored A's leads by now: there are rows to hide.
    await eventually(async () => {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from intelligence.scores where tenant_id = ${tenantA}`.execute(stack.ownerDb);
      expect(rows[0]!.n).toBeGreaterThan(0);
    });
    for (const { schema, table } of tables) {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(`${schema}.${table}`)}`.execute(stack.appDb);
      expect({ table: `${schema}.${table}`, visible: rows[0]!.n }).toEqual({ table: `${schema}.${table}`, visible: 0 });
    }
  });

  it("bound to B, A's row can be neither updated nor deleted, and no row can be written for A", async () => {
    const target = aIds[0]!;
    const before = await ownerView(target);
    const outcome = await withTenant(stack.appDb, tenantB, async (trx) => ({
      updated: (await trx.updateTable("leads.leads").set({ first_name: "Hijacked" }).where("id", "=", target).executeTakeFirst()).numUpdatedRows,
      deleted: (await trx.deleteFrom("leads.leads").where("id", "=", target).executeTakeFirst()).numDeletedRows,
    }));
    expect(outcome).toEqual({ updated: 0n, deleted: 0n });
    expect(await ownerView(target)).toEqual(before);

    const forA = leadRow(tenantA, { first_name: "Planted", last_name: "ByB" });
    await expect(withTenant(stack.appDb, tenantB, (trx) => trx.insertInto("leads.leads").values(forA).execute())).rejects.toThrow(/row-level security/);
    expect((await ownerView(forA.id)).row).toBeUndefined();
  });
});
