import { Role } from "../../lib/auth/roles";
import { insertLeads } from "../helpers/fixtures";
import { bearer, graphql, startStack, uniqueTenant, type GraphQLResponse, type TestStack } from "../helpers/stack";

// ---------------------------------------------------------------------------------------
// Types and small helpers
// ---------------------------------------------------------------------------------------

interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}
interface Connection<T> {
  totalCount: number;
  pageInfo: PageInfo;
  edges: { cursor: string; node: T }[];
}
interface LeadNode {
  id: string;
  firstName: string;
  lastName: string;
  createdAt: string;
  updatedAt: string;
  notes: { totalCount: number };
}
interface NoteNode {
  id: string;
  body: string;
}
type OrderField = "CREATED_AT" | "UPDATED_AT" | "NAME";
type Direction = "ASC" | "DESC";
interface Order {
  field: OrderField;
  direction: Direction;
}
interface PageArgs {
  first?: number;
  after?: string;
  last?: number;
  before?: string;
}
interface LeadFilter {
  statuses?: string[];
  sources?: string[];
  tags?: string[];
  search?: string;
  createdAfter?: string;
  createdBefore?: string;
}
type LeadsArgs = PageArgs & { filter?: LeadFilter; orderBy?: Order };
type FetchPage<T> = (args: PageArgs) => Promise<Connection<T>>;

const LEADS = `query Leads($first: Int, $after: String, $last: Int, $before: String, $filter: LeadFilter, $orderBy: LeadOrder) {
  leads(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id firstName lastName createdAt updatedAt notes(first: 1) { totalCount } } }
  }
}`;

const NOTES = `query Notes($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  lead(id: $id) {
    notes(first: $first, after: $after, last: $last, before: $before) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id body } }
    }
  }
}`;

const CREATE = `mutation Create($input: CreateLeadInput!) { createLead(input: $input) { lead { id } userErrors { code } } }`;
const CHANGE_STATUS = `mutation Status($input: ChangeLeadStatusInput!) { changeLeadStatus(input: $input) { lead { status } userErrors { code } } }`;

const ORDERS: Order[] = (["CREATED_AT", "UPDATED_AT", "NAME"] as const).flatMap((field) => (["ASC", "DESC"] as const).map((direction) => ({ field, direction })));
const MAX_PAGES = 30;

let stack: TestStack;

async function request<T>(tenantId: string, query: string, variables: Record<string, unknown>, role: Role = Role.VIEWER): Promise<GraphQLResponse<T>> {
  return graphql<T>(stack.gatewayUrl, query, variables, bearer(await stack.token(tenantId, role)));
}

/** The data of a request that must succeed. */
async function ok<T>(tenantId: string, query: string, variables: Record<string, unknown>, role: Role = Role.VIEWER): Promise<T> {
  const response = await request<T>(tenantId, query, variables, role);
  expect(response.errors).toBeUndefined();
  expect(response.data).toBeTruthy();
  return response.data!;
}

async function leadsPage(tenantId: string, args: LeadsArgs): Promise<Connection<LeadNode>> {
  return (await ok<{ leads: Connection<LeadNode> }>(tenantId, LEADS, { ...args })).leads;
}

const idsOf = <T extends { id: string }>(page: Connection<T>): string[] => page.edges.map((edge) => edge.node.id);
const base64url = (text: string): string => Buffer.from(text, "utf8").toString("base64url");
/** A real cursor with some of its (documented-opaque, but readable) fields replaced: what a forger sends. */
const tampered = (cursor: string, fields: Record<string, string>): string =>
  base64url(JSON.stringify({ ...(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as Record<string, unknown>), ...fields }));

function chunks<T>(items: readonly T[], size: number, fromEnd: boolean): T[][] {
  const result: T[][] = [];
  if (fromEnd) for (let end = items.length; end > 0; end -= size) result.push(items.slice(Math.max(0, end - size), end));
  else for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/** Reads forward with `first: size` from `after` (or the start) until `hasNextPage` is false. */
async function walkForward<T>(fetchPage: FetchPage<T>, size: number, after?: string): Promise<Connection<T>[]> {
  const pages: Connection<T>[] = [];
  let cursor = after;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await fetchPage(cursor === undefined ? { first: size } : { first: size, after: cursor });
    pages.push(page);
    if (!page.pageInfo.hasNextPage) return pages;
    expect(page.pageInfo.endCursor).toEqual(expect.any(String));
    cursor = page.pageInfo.endCursor!;
  }
  throw new Error(`still more pages after ${MAX_PAGES}`);
}

/** Reads backward with `last: size` from the end until `hasPreviousPage` is false. */
async function walkBackward<T>(fetchPage: FetchPage<T>, size: number): Promise<Connection<T>[]> {
  const pages: Connection<T>[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await fetchPage(cursor === undefined ? { last: size } : { last: size, before: cursor });
    pages.push(page);
    if (!page.pageInfo.hasPreviousPage) return pages;
    expect(page.pageInfo.startCursor).toEqual(expect.any(String));
    cursor = page.pageInfo.startCursor!;
  }
  throw new Error(`still more pages after ${MAX_PAGES}`);
}

/**
 * A complete walk covers `expected` exactly (in order, no duplicates, no gaps), page by
 * page, with correct page info at both ends and in the middle.
 */
function expectWalk<T extends { id: string }>(pages: Connection<T>[], expected: readonly string[], size: number, direction: "forward" | "backward"): void {
  const backward = direction === "backward";
  const expectedPages = chunks(expected, size, backward);
  expect(pages.map(idsOf)).toEqual(expectedPages);
  const seen = (backward ? [...pages].reverse() : pages).flatMap(idsOf);
  expect(seen).toEqual(expected);
  expect(new Set(seen).size).toBe(expected.length);

  const lastIndex = pages.length - 1;
  pages.forEach((page, index) => {
    const atStart = backward ? index === lastIndex : index === 0;
    const atEnd = backward ? index === 0 : index === lastIndex;
    expect({ page: index, totalCount: page.totalCount, hasPreviousPage: page.pageInfo.hasPreviousPage, hasNextPage: page.pageInfo.hasNextPage }).toEqual({
      page: index,
      totalCount: expected.length,
      hasPreviousPage: !atStart,
      hasNextPage: !atEnd,
    });
    expect(page.pageInfo.startCursor).toBe(page.edges[0]!.cursor);
    expect(page.pageInfo.endCursor).toBe(page.edges[page.edges.length - 1]!.cursor);
  });
}

/** Sort key of a lead as the API documents each ordering (ties broken by id). */
const SORT_KEY: Record<OrderField, (lead: LeadNode) => string> = {
  CREATED_AT: (lead) => lead.createdAt,
  UPDATED_AT: (lead) => lead.updatedAt,
  NAME: (lead) => `${lead.lastName} ${lead.firstName}`.toLowerCase(),
};

function sortedIds(leads: readonly LeadNode[], order: Order): string[] {
  const key = SORT_KEY[order.field];
  const sign = order.direction === "ASC" ? 1 : -1;
  const compare = (a: LeadNode, b: LeadNode): number => {
    const [ka, kb] = [key(a), key(b)];
    if (ka !== kb) return ka < kb ? -sign : sign;
    return a.id < b.id ? -sign : a.id > b.id ? sign : 0;
  };
  return [...leads].sort(compare).map((lead) => lead.id);
}

// ---------------------------------------------------------------------------------------
// Fixture: 57 leads in two batches (the second with notes); a few moved along the pipeline
// ---------------------------------------------------------------------------------------

/** One fixture lead and what `insertLeads` gave it (see test/helpers/fixtures.ts). */
interface FixtureLead {
  id: string;
  /** Index within its batch: drives name, email, source and tags. */
  index: number;
  /** Size of its batch: the last name counts down from it. */
  batchSize: number;
  status: string;
  notes: number;
}

const tenant = uniqueTenant("paging");
const BATCH_WITHOUT_NOTES = 50;
const BATCH_WITH_NOTES = 7;
const NOTES_PER_LEAD = 3;
const TOTAL = BATCH_WITHOUT_NOTES + BATCH_WITH_NOTES;
const STATUS_CHANGES: { batchIndex: number; status: string }[] = [
  { batchIndex: 10, status: "CONTACTED" },
  { batchIndex: 11, status: "CONTACTED" },
  { batchIndex: 12, status: "CONTACTED" },
  { batchIndex: 20, status: "CLOSED_LOST" },
  { batchIndex: 21, status: "CLOSED_LOST" },
];
let fixture: FixtureLead[] = [];
/** Every fixture lead, CREATED_AT ASC, as a single `first: 100` page returned them. */
let byCreatedAsc: LeadNode[] = [];

beforeAll(async () => {
  stack = await startStack();
  const plain = await insertLeads(stack.appDb, tenant, BATCH_WITHOUT_NOTES);
  const withNotes = await insertLeads(stack.appDb, tenant, BATCH_WITH_NOTES, NOTES_PER_LEAD);
  fixture = [
    ...plain.map((id, index) => ({ id, index, batchSize: BATCH_WITHOUT_NOTES, status: "NEW", notes: 0 })),
    ...withNotes.map((id, index) => ({ id, index, batchSize: BATCH_WITH_NOTES, status: "NEW", notes: NOTES_PER_LEAD })),
  ];
  for (const change of STATUS_CHANGES) {
    const lead = fixture[change.batchIndex]!;
    const data = await ok<{ changeLeadStatus: { lead: { status: string } | null } }>(tenant, CHANGE_STATUS, { input: { id: lead.id, status: change.status } }, Role.AGENT);
    expect(data.changeLeadStatus.lead?.status).toBe(change.status);
    lead.status = change.status;
  }
  byCreatedAsc = (await leadsPage(tenant, { first: 100, orderBy: { field: "CREATED_AT", direction: "ASC" } })).edges.map((edge) => edge.node);
});
afterAll(() => stack.stop());

// ---------------------------------------------------------------------------------------

describe("Query.leads: walking every ordering", () => {
  /** The order a single `first: 100` page returns, after checking it is the documented sort. */
  async function referenceOrder(order: Order): Promise<string[]> {
    const page = await leadsPage(tenant, { first: 100, orderBy: order });
    expect(page.totalCount).toBe(TOTAL);
    expect(page.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    const ids = idsOf(page);
    expect(new Set(ids)).toEqual(new Set(fixture.map((lead) => lead.id)));
    expect(ids).toEqual(sortedIds(page.edges.map((edge) => edge.node), order));
    return ids;
  }
  const fetchLeads = (order: Order, filter?: LeadFilter): FetchPage<LeadNode> => (args) => leadsPage(tenant, { ...args, orderBy: order, ...(filter ? { filter } : {}) });

  it.each(ORDERS)("forward with first: 10 covers $field $direction exactly once, in order", async (order) => {
    const expected = await referenceOrder(order);
    const pages = await walkForward(fetchLeads(order), 10);
    expect(pages).toHaveLength(Math.ceil(TOTAL / 10));
    expectWalk(pages, expected, 10, "forward");
  });

  it.each(ORDERS)("backward with last: 10 covers $field $direction exactly once, in order", async (order) => {
    const expected = await referenceOrder(order);
    const pages = await walkBackward(fetchLeads(order), 10);
    expect(pages).toHaveLength(Math.ceil(TOTAL / 10));
    expectWalk(pages, expected, 10, "backward");
  });

  it("walks a filtered listing both ways with totalCount of the filter", async () => {
    const order: Order = { field: "NAME", direction: "ASC" };
    const filter: LeadFilter = { sources: ["ZILLOW"] };
    const expected = idsOf(await leadsPage(tenant, { first: 100, orderBy: order, filter }));
    expect(expected).toHaveLength(28);
    expectWalk(await walkForward(fetchLeads(order, filter), 10), expected, 10, "forward");
    expectWalk(await walkBackward(fetchLeads(order, filter), 10), expected, 10, "backward");
  });

  it("defaults to newest first, 20 a page, each lead once with its own notes", async () => {
    const page = await leadsPage(tenant, {});
    expect(page.totalCount).toBe(TOTAL);
    expect(page.edges).toHaveLength(20);
    expect(page.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(idsOf(page)).toEqual(byCreatedAsc.map((lead) => lead.id).reverse().slice(0, 20));

    const all = await leadsPage(tenant, { first: 100 });
    const notesById = new Map(all.edges.map((edge) => [edge.node.id, edge.node.notes.totalCount]));
    expect(notesById).toEqual(new Map(fixture.map((lead) => [lead.id, lead.notes])));
  });

  it("returns an empty last page past the end, without a next page", async () => {
    const order: Order = { field: "CREATED_AT", direction: "ASC" };
    const lastEdge = (await leadsPage(tenant, { last: 1, orderBy: order })).edges[0]!;
    expect(lastEdge.node.id).toBe(byCreatedAsc[TOTAL - 1]!.id);
    const beyond = await leadsPage(tenant, { first: 10, after: lastEdge.cursor, orderBy: order });
    expect(beyond.edges).toEqual([]);
    expect(beyond.totalCount).toBe(TOTAL);
    expect(beyond.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null });
  });
});

describe("Query.leads: ties in the sort key", () => {
  it.each(["ASC", "DESC"] as const)("NAME %s: identically named leads are ordered by id and each read once", async (direction) => {
    const tieTenant = uniqueTenant("paging-ties");
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const data = await ok<{ createLead: { lead: { id: string } | null } }>(tieTenant, CREATE, { input: { firstName: "Sam", lastName: "Same" } }, Role.AGENT);
      ids.push(data.createLead.lead!.id);
    }
    const expected = [...ids].sort();
    if (direction === "DESC") expected.reverse();
    const fetchPage: FetchPage<LeadNode> = (args) => leadsPage(tieTenant, { ...args, orderBy: { field: "NAME", direction } });
    expectWalk(await walkForward(fetchPage, 5), expected, 5, "forward");
    expectWalk(await walkBackward(fetchPage, 5), expected, 5, "backward");
  });
});

describe("Query.leads: stable under inserts between pages", () => {
  const INSERTED = 5;
  it.each(["ASC", "DESC"] as const)("CREATED_AT %s: every original lead appears exactly once", async (direction) => {
    const insertTenant = uniqueTenant("paging-insert");
    const original = await insertLeads(stack.appDb, insertTenant, 25);
    const order: Order = { field: "CREATED_AT", direction };
    const fetchPage: FetchPage<LeadNode> = (args) => leadsPage(insertTenant, { ...args, orderBy: order });

    const first = await fetchPage({ first: 10 });
    const created: string[] = [];
    for (let i = 0; i < INSERTED; i++) {
      const data = await ok<{ createLead: { lead: { id: string } | null } }>(insertTenant, CREATE, { input: { firstName: "Inserted", lastName: `Between${i}` } }, Role.AGENT);
      created.push(data.createLead.lead!.id);
    }
    const rest = await walkForward(fetchPage, 10, first.pageInfo.endCursor!);

    const seen = [first, ...rest].flatMap(idsOf);
    for (const id of original) expect(seen.filter((s) => s === id)).toHaveLength(1);
    for (const page of rest) expect(page.totalCount).toBe(original.length + INSERTED);
    // New leads are the newest: after the cursor reading oldest first, before it reading newest first.
    expect(seen).toEqual(direction === "ASC" ? [...original, ...created] : [...original].reverse());
  });
});

describe("Query.leads: filters", () => {
  /** What the fixture gave lead `index` of its batch (see insertLeads). */
  const source = (lead: FixtureLead): string => (lead.index % 2 ? "ZILLOW" : "WEBSITE");
  const investor = (lead: FixtureLead): boolean => lead.index % 3 === 0;
  const is = (index: number) => (lead: FixtureLead): boolean => lead.index === index;
  const lastNameIs = (n: number) => (lead: FixtureLead): boolean => lead.batchSize - lead.index === n;

  it.each<[string, LeadFilter, number, (lead: FixtureLead) => boolean]>([
    ["statuses [CONTACTED]", { statuses: ["CONTACTED"] }, 3, (lead) => lead.status === "CONTACTED"],
    ["statuses [CONTACTED, CLOSED_LOST]", { statuses: ["CONTACTED", "CLOSED_LOST"] }, 5, (lead) => lead.status !== "NEW"],
    ["statuses [NEW]", { statuses: ["NEW"] }, 52, (lead) => lead.status === "NEW"],
    ["statuses [CLOSED_WON]", { statuses: ["CLOSED_WON"] }, 0, () => false],
    ["sources [ZILLOW]", { sources: ["ZILLOW"] }, 28, (lead) => source(lead) === "ZILLOW"],
    ["sources [WEBSITE]", { sources: ["WEBSITE"] }, 29, (lead) => source(lead) === "WEBSITE"],
    ["sources [ZILLOW, WEBSITE]", { sources: ["ZILLOW", "WEBSITE"] }, 57, () => true],
    ["sources [REFERRAL]", { sources: ["REFERRAL"] }, 0, () => false],
    ["tags [investor]", { tags: ["investor"] }, 20, investor],
    ["tags [investor, vip] (all must hold)", { tags: ["investor", "vip"] }, 0, () => false],
    ["sources [ZILLOW] and tags [investor]", { sources: ["ZILLOW"], tags: ["investor"] }, 9, (lead) => source(lead) === "ZILLOW" && investor(lead)],
    ["search on first name, other case", { search: "FIRST0042" }, 1, is(42)],
    ["search on first name in both batches", { search: "first0003" }, 2, is(3)],
    ["search on last name, mixed case", { search: "LaSt0050" }, 1, lastNameIs(50)],
    ["search on last name in both batches", { search: "last0002" }, 2, lastNameIs(2)],
    ["search on email, upper case", { search: "LEAD49@EXAMPLE.COM" }, 1, is(49)],
    ["search on email prefix", { search: "lead4@" }, 2, is(4)],
    ["search trimmed", { search: "  lead5@  " }, 2, is(5)],
    ["search treats _ literally", { search: "e_d" }, 0, () => false],
    ["search and status", { search: "first0011", statuses: ["CONTACTED"] }, 1, (lead) => lead.index === 11 && lead.status === "CONTACTED"],
  ])("%s", async (_label, filter, count, matches) => {
    const page = await leadsPage(tenant, { first: 100, filter });
    expect(page.totalCount).toBe(count);
    expect(new Set(idsOf(page))).toEqual(new Set(fixture.filter(matches).map((lead) => lead.id)));
    expect(page.edges).toHaveLength(count);
  });

  it.each<[string, (pivot: string, later: string) => LeadFilter, (ms: number, pivot: number, later: number) => boolean]>([
    ["createdAfter is inclusive", (pivot) => ({ createdAfter: pivot }), (ms, pivot) => ms >= pivot],
    ["createdBefore is exclusive", (pivot) => ({ createdBefore: pivot }), (ms, pivot) => ms < pivot],
    ["createdAfter and createdBefore together", (pivot, later) => ({ createdAfter: pivot, createdBefore: later }), (ms, pivot, later) => ms >= pivot && ms < later],
  ])("%s", async (_label, filterFor, matches) => {
    const pivot = byCreatedAsc[20]!.createdAt;
    const later = byCreatedAsc[40]!.createdAt;
    const expected = byCreatedAsc.filter((lead) => matches(Date.parse(lead.createdAt), Date.parse(pivot), Date.parse(later))).map((lead) => lead.id);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(TOTAL);
    const page = await leadsPage(tenant, { first: 100, filter: filterFor(pivot, later), orderBy: { field: "CREATED_AT", direction: "ASC" } });
    expect(page.totalCount).toBe(expected.length);
    expect(idsOf(page)).toEqual(expected);
  });
});

describe("Query.leads: bad arguments are BAD_USER_INPUT naming the argument, with no data", () => {
  const createdAsc: Order = { field: "CREATED_AT", direction: "ASC" };
  const cursors = { createdAsc: "", zillow: "" };
  beforeAll(async () => {
    cursors.createdAsc = (await leadsPage(tenant, { first: 1, orderBy: createdAsc })).pageInfo.endCursor!;
    cursors.zillow = (await leadsPage(tenant, { first: 1, filter: { sources: ["ZILLOW"] } })).pageInfo.endCursor!;
  });

  it.each<[string, () => LeadsArgs, string[]]>([
    ['after: "garbage"', () => ({ first: 5, after: "garbage" }), ["after"]],
    ["after: base64 of non-JSON", () => ({ first: 5, after: base64url("not json at all") }), ["after"]],
    ["after: base64 JSON of the wrong shape", () => ({ first: 5, after: base64url(JSON.stringify({ page: 2 })) }), ["after"]],
    ["after: base64 JSON with wrong field types", () => ({ first: 5, after: base64url(JSON.stringify({ q: 1, v: 2, i: 3 })) }), ["after"]],
    ['before: "garbage"', () => ({ last: 5, before: "garbage" }), ["before"]],
    ["after: a real cursor whose id is not a lead id", () => ({ first: 5, after: tampered(cursors.createdAsc, { i: "not-a-uuid" }), orderBy: createdAsc }), ["after"]],
    ["after: a real cursor whose sort value is not a timestamp", () => ({ first: 5, after: tampered(cursors.createdAsc, { v: "not-a-timestamp" }), orderBy: createdAsc }), ["after"]],
    ["a CREATED_AT ASC cursor used with NAME ASC", () => ({ first: 5, after: cursors.createdAsc, orderBy: { field: "NAME", direction: "ASC" } }), ["after"]],
    ["a CREATED_AT ASC cursor used with CREATED_AT DESC", () => ({ first: 5, after: cursors.createdAsc, orderBy: { field: "CREATED_AT", direction: "DESC" } }), ["after"]],
    ["a CREATED_AT ASC cursor used as before with UPDATED_AT ASC", () => ({ last: 5, before: cursors.createdAsc, orderBy: { field: "UPDATED_AT", direction: "ASC" } }), ["before"]],
    ["a cursor from a filtered listing used unfiltered", () => ({ first: 5, after: cursors.zillow }), ["after"]],
    ["a cursor from one filter used with another", () => ({ first: 5, after: cursors.zillow, filter: { sources: ["WEBSITE"] } }), ["after"]],
    ["first: 101", () => ({ first: 101 }), ["first"]],
    ["last: 101", () => ({ last: 101 }), ["last"]],
    ["first: -1", () => ({ first: -1 }), ["first"]],
    ["last: -1", () => ({ last: -1 }), ["last"]],
    ["first and last together", () => ({ first: 5, last: 5 }), ["first", "last"]],
    ["after with last", () => ({ last: 5, after: cursors.createdAsc, orderBy: createdAsc }), ["after", "last"]],
    ["first with before", () => ({ first: 5, before: cursors.createdAsc, orderBy: createdAsc }), ["first", "before"]],
    ["a one-character search", () => ({ first: 5, filter: { search: "a" } }), ["filter.search"]],
  ])("%s", async (_label, args, argumentNames) => {
    const response = await request<{ leads: Connection<LeadNode> }>(tenant, LEADS, { ...args() });
    expect(response.data ?? null).toBeNull();
    expect(response.errors).toHaveLength(1);
    const [error] = response.errors!;
    expect(error!.extensions?.code).toBe("BAD_USER_INPUT");
    for (const name of argumentNames) expect(error!.message).toContain(`\`${name}\``);
  });
});

describe("Lead.notes: newest first, paged both ways", () => {
  const NOTE_COUNT = 23;
  const notesTenant = uniqueTenant("paging-notes");
  let leadId = "";
  const fetchNotes: FetchPage<NoteNode> = async (args) => {
    const data = await ok<{ lead: { notes: Connection<NoteNode> } | null }>(notesTenant, NOTES, { id: leadId, ...args });
    expect(data.lead).not.toBeNull();
    return data.lead!.notes;
  };
  /** The fixture writes "note 0" first; newest first means the highest number first. */
  const newestFirst = Array.from({ length: NOTE_COUNT }, (_, n) => `note ${NOTE_COUNT - 1 - n}`);
  let expectedIds: string[] = [];
  let expectedCursors: string[] = [];

  beforeAll(async () => {
    [leadId] = (await insertLeads(stack.appDb, notesTenant, 1, NOTE_COUNT)) as [string];
    const all = await fetchNotes({ first: 100 });
    expect(all.totalCount).toBe(NOTE_COUNT);
    expect(all.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    expect(all.edges.map((edge) => edge.node.body)).toEqual(newestFirst);
    expectedIds = idsOf(all);
    expectedCursors = all.edges.map((edge) => edge.cursor);
  });

  it("forward with first: 5", async () => {
    const pages = await walkForward(fetchNotes, 5);
    expect(pages).toHaveLength(5);
    expectWalk(pages, expectedIds, 5, "forward");
  });

  it("backward with last: 5", async () => {
    const pages = await walkBackward(fetchNotes, 5);
    expect(pages).toHaveLength(5);
    expectWalk(pages, expectedIds, 5, "backward");
  });

  it.each<[string, () => string]>([
    ['"garbage"', () => "garbage"],
    ["a real notes cursor whose id is not a note id", () => tampered(expectedCursors[0]!, { i: "not-a-uuid" })],
  ])("refuses %s as a notes cursor with BAD_USER_INPUT naming it", async (_label, cursor) => {
    const response = await request<{ lead: unknown }>(notesTenant, NOTES, { id: leadId, first: 5, after: cursor() });
    expect(response.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(response.errors?.[0]?.message).toContain("`after`");
    expect(response.data?.lead ?? null).toBeNull();
  });
});
