import { Role } from "../../lib/auth/roles";
import { insertLeads } from "../helpers/fixtures";
import { bearer, graphql, startStack, uniqueTenant, type TestStack } from "../helpers/stack";

const tenant = uniqueTenant("nplus1");
let stack: TestStack;

beforeAll(async () => {
  stack = await startStack();
  await insertLeads(stack.appDb, tenant, 100, 3);
});
afterAll(() => stack.stop());

const PAGE = `query Page($n: Int!) {
  leads(first: $n) {
    totalCount
    nodes { id fullName notes(first: 2) { totalCount nodes { body author } } }
  }
}`;

async function statementsFor(pageSize: number): Promise<number> {
  stack.leadsRequests.length = 0;
  const response = await graphql<{ leads: { nodes: { notes: { nodes: unknown[] } }[] } }>(stack.gatewayUrl, PAGE, { n: pageSize }, bearer(await stack.token(tenant, Role.VIEWER)));
  expect(response.errors).toBeUndefined();
  expect(response.data?.leads.nodes).toHaveLength(pageSize);
  expect(response.data?.leads.nodes.every((lead) => lead.notes.nodes.length === 2)).toBe(true);
  expect(stack.leadsRequests).toHaveLength(1);
  return stack.leadsRequests[0]!.sqlStatements;
}

describe("SQL statements per request", () => {
  it("do not grow with page size (10 vs 100 leads, each with notes)", async () => {
    const small = await statementsFor(10);
    const large = await statementsFor(100);
    expect(small).toBeGreaterThan(0);
    expect(large).toBe(small);
  });
});
