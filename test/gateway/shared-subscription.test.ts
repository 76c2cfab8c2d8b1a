import { getOperationAST, parse } from "graphql";
import type { Identity } from "../../lib/auth/identity";
import { Role } from "../../lib/auth/roles";
import type { AuthenticatedIdentity } from "../../gateway/src/auth/authenticate";
import { sharedIdentity, sharingKey } from "../../gateway/src/subscriptions/shared-subscription";

const CALLER: Identity = { sub: "user-1", tenant: "acme", role: Role.AGENT, scopes: ["b:read", "a:read"] };
const QUERY = "subscription Changes($filter: LeadFilter) { leadChanged(filter: $filter) { leadId } }";

function keyOf(overrides: { identity?: Partial<Identity>; query?: string; operationName?: string; variables?: Record<string, unknown> } = {}): string {
  const document = parse(overrides.query ?? QUERY);
  const operation = getOperationAST(document, overrides.operationName);
  if (!operation) throw new Error("no operation");
  return sharingKey({ identity: { ...CALLER, ...overrides.identity }, document, operation, variables: overrides.variables ?? { filter: { statuses: ["NEW"], sources: ["WEBSITE"] } } });
}

describe("sharing key", () => {
  it("is the same for what cannot change a result: the subject, scope order, variable key order, layout", () => {
    const key = keyOf();
    expect(keyOf({ identity: { sub: "user-2" } })).toBe(key);
    expect(keyOf({ identity: { scopes: ["a:read", "b:read"] } })).toBe(key);
    expect(keyOf({ variables: { filter: { sources: ["WEBSITE"], statuses: ["NEW"] } } })).toBe(key);
    expect(keyOf({ query: `subscription Changes($filter: LeadFilter) {\n  leadChanged(filter: $filter) {\n    leadId\n  }\n}` })).toBe(key);
  });

  it.each([
    ["tenant", { identity: { tenant: "demo" } }],
    ["role", { identity: { role: Role.VIEWER } }],
    ["scopes", { identity: { scopes: ["a:read"] } }],
    ["selection", { query: "subscription Changes($filter: LeadFilter) { leadChanged(filter: $filter) { leadId kind } }" }],
    ["operation name", { query: QUERY.replace("Changes", "Other") }],
    ["variables", { variables: { filter: { statuses: ["WON"], sources: ["WEBSITE"] } } }],
    ["a list's items in variables", { variables: { filter: { statuses: ["NEW"], sources: ["WEBSITE", "ZILLOW"] } } }],
    ["a missing variable", { variables: {} }],
  ])("differs by %s", (_label, overrides) => {
    expect(keyOf(overrides)).not.toBe(keyOf());
  });

  it("names the operation that runs in a document of several", () => {
    const document = `${QUERY} subscription Scores { leadScored { score { value } } }`;
    expect(keyOf({ query: document, operationName: "Changes" })).not.toBe(keyOf({ query: document, operationName: "Scores" }));
  });
});

describe("shared identity", () => {
  it("keeps what the key holds, with the first member's subject, and no expiry", () => {
    const caller: AuthenticatedIdentity = { ...CALLER, expiresAt: new Date() };
    expect(sharedIdentity(caller)).toEqual({ sub: "user-1", tenant: "acme", role: Role.AGENT, scopes: ["a:read", "b:read"] });
  });
});
