import { createIdentitySigner, generateIdentityKeyPair } from "../../../lib/auth/identity";
import { Role } from "../../../lib/auth/roles";
import { insertLeads } from "../../helpers/fixtures";
import { bearer, graphql, startStack, uniqueTenant, type TestStack } from "../../helpers/stack";

const tenant = uniqueTenant("direct");
let stack: TestStack;
let leadId: string;

beforeAll(async () => {
  stack = await startStack();
  [leadId] = (await insertLeads(stack.appDb, tenant, 1)) as [string];
});
afterAll(() => stack.stop());

const identity = { sub: "svc", tenant, role: Role.ADMIN, scopes: [] };
const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Lead { id fullName } } }`;

describe("leads subgraph called directly", () => {
  const operations: [string, string, Record<string, unknown>][] = [
    ["a query", "{ leads(first: 1) { totalCount } }", {}],
    ["_service", "{ _service { sdl } }", {}],
    ["_entities", ENTITIES, { r: [{ __typename: "Lead", id: "00000000-0000-7000-8000-000000000000" }] }],
  ];

  it.each(operations)("refuses %s without an identity token", async (_label, query, variables) => {
    const response = await graphql(stack.leadsUrl, query, variables);
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(response.data ?? null).toBeNull();
  });

  it.each(operations)("refuses %s with a token signed by another key", async (_label, query, variables) => {
    const forged = await createIdentitySigner(generateIdentityKeyPair().privateKeyPem).sign(identity, "leads");
    const response = await graphql(stack.leadsUrl, query, variables, bearer(forged));
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("refuses a gateway token addressed to another subgraph", async () => {
    const token = await createIdentitySigner(stack.identityKeys.privateKeyPem).sign(identity, "billing");
    const response = await graphql(stack.leadsUrl, "{ leads(first: 1) { totalCount } }", {}, bearer(token));
    expect(response.status).toBe(401);
  });

  it("refuses a client JWT (only gateway identity tokens are accepted)", async () => {
    const response = await graphql(stack.leadsUrl, "{ leads(first: 1) { totalCount } }", {}, bearer(await stack.token(tenant, Role.ADMIN)));
    expect(response.status).toBe(401);
  });

  it("serves _entities to the gateway's identity token, through the DataLoader in one statement", async () => {
    const token = await createIdentitySigner(stack.identityKeys.privateKeyPem).sign(identity, "leads");
    const representations = [{ __typename: "Lead", id: leadId }, { __typename: "Lead", id: "not-a-uuid" }, { __typename: "Lead", id: leadId }];
    stack.leadsRequests.length = 0;
    const response = await graphql<{ _entities: ({ id: string } | null)[] }>(stack.leadsUrl, ENTITIES, { r: representations }, bearer(token));
    expect(response.data?._entities.map((e) => e?.id ?? null)).toEqual([leadId, null, leadId]);
    // begin with the tenant binding, select, commit: one batch whatever the number of representations.
    expect(stack.leadsRequests[0]?.sqlStatements).toBe(3);
  });
});
