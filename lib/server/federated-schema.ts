import { buildSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLResolverMap } from "@apollo/subgraph/dist/schema-helper";
import { printSchemaWithDirectives } from "@graphql-tools/utils";
import type { GraphQLSchema } from "graphql";
import gql from "graphql-tag";
import { DateTimeResolver } from "graphql-scalars";
import { buildSchema, createResolversMap, type AuthChecker, type NonEmptyArray, type PubSub } from "type-graphql";
import { ErrorCode, fieldError } from "../errors";
import type { Identity } from "../auth/identity";
import { isRole, type Role } from "../auth/roles";

/** The part of every subgraph's context that the platform relies on. */
export interface IdentityContext {
  identity: Identity;
  requestId: string;
}

/** What `@Authorized(...)` may name: a role, or a scope a service caller holds. */
export type AccessRule = Role | string;

/**
 * Access check for type-graphql's `@Authorized(...rules)`: no rules means any verified
 * caller; otherwise the caller's role or one of its scopes must be named. A refusal is a
 * `FORBIDDEN` error naming what would be allowed.
 */
export const roleAuthChecker: AuthChecker<IdentityContext, AccessRule> = ({ context }, rules) => {
  const { role, scopes } = context.identity;
  if (rules.length === 0 || rules.includes(role) || scopes.some((scope) => rules.includes(scope))) return true;
  const roles = rules.filter(isRole);
  const needed = [...(roles.length > 0 ? [`role ${roles.join(" or ")}`] : []), ...rules.filter((rule) => !isRole(rule)).map((scope) => `scope ${scope}`)];
  throw fieldError(ErrorCode.FORBIDDEN, `this operation requires ${needed.join(" or ")}`);
};

/** The `id` of an entity representation from the gateway (`{ __typename, id }`), or null when it has none. */
export function referenceId(reference: unknown): string | null {
  const id = typeof reference === "object" && reference !== null ? (reference as { id?: unknown }).id : undefined;
  return typeof id === "string" ? id : null;
}

/**
 * `__resolveReference` of an entity this subgraph only extends with fields: the key is all
 * it needs, and its field resolvers load the rest for the caller's tenant (an unknown id
 * simply has nothing).
 */
export function resolveKeyOnlyReference(reference: unknown): { id: string } | null {
  const id = referenceId(reference);
  return id === null ? null : { id };
}

/**
 * type-graphql refuses to build a schema with subscriptions unless a PubSub is configured,
 * even when every `@Subscription` brings its own `subscribe`. Ours all do (they are fed by
 * the events log), so this one only explains that, should anything ever reach it.
 */
const NO_PUB_SUB: PubSub = {
  publish() {
    throw new Error("subscriptions are fed by the events log: publish by appending an event");
  },
  subscribe() {
    throw new Error("every @Subscription must pass its own `subscribe` (fed by the events log)");
  },
};

/** Entity reference resolvers, by type name: `{ Lead: { __resolveReference } }`. */
export type ReferenceResolvers = Record<string, { __resolveReference(reference: unknown, context: never): unknown }>;

/**
 * Builds a Federation 2 subgraph schema from type-graphql resolver classes, adding the
 * `__resolveReference` functions of the entities the subgraph owns.
 */
export async function buildFederatedSchema(
  resolvers: NonEmptyArray<Function>,
  references: ReferenceResolvers,
  orphanedTypes: Function[] = [],
): Promise<GraphQLSchema> {
  const schema = await buildSchema({ resolvers, orphanedTypes, authChecker: roleAuthChecker,
    pubSub: NO_PUB_SUB,
    validate: false,
    skipCheck: true,
    // One ISO-8601 `DateTime` scalar across every subgraph.
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
   });
  const resolverMap = createResolversMap(schema) as GraphQLResolverMap<unknown>;
  for (const [typeName, reference] of Object.entries(references)) {
    resolverMap[typeName] = { ...resolverMap[typeName], __resolveReference: reference.__resolveReference } as GraphQLResolverMap<unknown>[string];
  }
  return buildSubgraphSchema({
    typeDefs: gql`
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible"])
      ${printSchemaWithDirectives(schema)}
    `,
    resolvers: resolverMap,
  });
}
