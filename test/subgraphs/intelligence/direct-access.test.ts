import { createIdentitySigner, generateIdentityKeyPair } from "../../../lib/auth/identity";
import { Role } from "../../../lib/auth/roles";
import { bearer, graphql, startStack, uniqueTenant, type TestStack } from "../../helpers/stack";

const tenant = uniqueTenant("direct-intel");
let stack: TestStack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const identity = { sub: "svc", tenant, role: Role.ADMIN, scopes: [] };
const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Lead { id score { value } } } }`;

describe("intelligence subgraph called directly", () => {
  const operations: [string, string, Record<string, unknown>][] = [
    ["a query", "{ properties(first: 1) { totalCount } }", {}],
    ["_service", "{ _service { sdl } }", {}],
    ["_entities", ENTITIES, { r: [{ __typename: "Lead", id: "00000000-0000-7000-8000-000000000000" }] }],
  ];

  it.each(operations)("refuses %s without an identity token", async (_label, query, variables) => {
    const response = await graphql(stack.intelligenceUrl, query, variables);
    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(response.data ?? null).toBeNull();
  });

  it.each(operations)("refuses %s with a token signed by another key", async (_label, query, variables) => {
    const forged = await createIdentitySigner(generateIdentityKeyPair().privateKeyPem).sign(identity, "intelligence");
    expect((await graphql(stack.intelligenceUrl, query, variables, bearer(forged))).status).toBe(401);
  });

  it("refuses a gateway token addressed to the leads subgraph", async () => {
    const token = await createIdentitySigner(stack.identityKeys.privateKeyPem).sign(identity, "leads");
    expect((await graphql(stack.intelligenceUrl, "{ properties(first: 1) { totalCount } }", {}, bearer(token))).status).toBe(401);
  });

  it("serves the gateway's identity token", async () => {
    const token = await createIdentitySigner(stack.identityKeys.privateKeyPem).sign(identity, "intelligence");
    const response = await graphql<{ properties: { totalCount: number } }>(stack.intelligenceUrl, "{ properties(first: 1) { totalCount } }", {}, bearer(token));
    expect(response.status).toBe(200);
    expect(response.data?.properties.totalCount).toBe(0);
  });
});
