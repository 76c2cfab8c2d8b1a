import { parse } from "graphql";
import type { SignalEntity } from "./signals-subgraph";
import { startTestSubgraph, type TestSubgraph, type TestSubgraphContext } from "./test-subgraph";

/** The entity the signals point at when `profiles` owns it. */
export const SUBJECT: SignalEntity = { type: "Subject", field: "subject" };

/** The profiles subgraph's SDL: it owns `Subject`, which signals point at. */
export const PROFILES_SDL = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  type Query {
    subject(id: ID!): Subject
  }

  type Subject @key(fields: "id") {
    id: ID!
    name: String!
    "The tenant of the identity the gateway sent: proves entity fetches run as the subscriber."
    owner: String!
  }
`);

/** The profiles subgraph: a stub owner of `Subject`, counting what it is asked for. */
export interface ProfilesSubgraph extends TestSubgraph {
  /** Subjects resolved so far for `tenant`'s callers: one per event execution that fetched one. */
  resolvedFor(tenant: string): number;
  /** Requests (not subjects) that resolved subjects for `tenant`'s callers. */
  requestsFor(tenant: string): number;
  /** Ids of the subjects named `held-…` whose fetch is waiting now, in the order they came. */
  held(): string[];
  /** Lets the waiting fetch of subject `id` answer. */
  release(id: string): void;
}

/** Subjects with this id prefix are not resolved until the test releases them. */
export const HELD_PREFIX = "held-";

/** Subjects with this id prefix fail to resolve. */
export const BROKEN_PREFIX = "broken-";

/**
 * Starts the profiles subgraph: every `Subject` exists, named after its id, and its `owner`
 * is the tenant of the identity that asked, so a test sees as whom each fetch ran.
 */
export async function startProfilesSubgraph(options: { identityPublicKey: string }): Promise<ProfilesSubgraph> {
  const resolved = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  const requests = new Map<string, number>();
  const counted = new WeakSet<TestSubgraphContext>();
  const subgraph = await startTestSubgraph({
    name: "profiles",
    identityPublicKey: options.identityPublicKey,
    typeDefs: PROFILES_SDL,
    resolvers: {
      Query: { subject: (_: unknown, args: { id: string }) => ({ id: args.id }) },
      Subject: {
        __resolveReference: async (reference: { id: string }, context: TestSubgraphContext) => {
          const { tenant } = context.identity;
          resolved.set(tenant, (resolved.get(tenant) ?? 0) + 1);
          if (!counted.has(context)) {
            counted.add(context);
            requests.set(tenant, (requests.get(tenant) ?? 0) + 1);
          }
          if (reference.id.startsWith(BROKEN_PREFIX)) throw new Error(`subject ${reference.id} cannot be loaded`);
          if (reference.id.startsWith(HELD_PREFIX)) await new Promise<void>((resolve) => waiting.set(reference.id, resolve));
          return { id: reference.id };
        },
        name: (subject: { id: string }) => `subject ${subject.id}`,
        owner: (_subject: unknown, _args: unknown, context: TestSubgraphContext) => context.identity.tenant,
      },
    },
  });
  return Object.assign(subgraph, {
    resolvedFor: (tenant: string) => resolved.get(tenant) ?? 0,
    requestsFor: (tenant: string) => requests.get(tenant) ?? 0,
    held: () => [...waiting.keys()],
    release: (id: string) => {
      waiting.get(id)?.();
      waiting.delete(id);
    },
  });
}
