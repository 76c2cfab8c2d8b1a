import { EventEmitter, on } from "node:events";
import { parse, type DocumentNode } from "graphql";
import { eventually } from "./eventually";
import { forbidden, startTestSubgraph, type TestSubgraph, type TestSubgraphContext } from "./test-subgraph";

/** The entity a signal points at, owned by another subgraph (a stub here). */
export interface SignalEntity {
  /** The entity type, e.g. `Lead`. */
  type: string;
  /** The `Signal` field holding it, e.g. `lead`. */
  field: string;
}

/** What a test sends as a signal. */
export interface SignalInput {
  text: string;
  /** The id of the entity the signal points at. */
  entityId?: string;
  payload?: string;
}

interface Signal {
  seq: number;
  tenant: string;
  channel: string;
  text: string;
  payload: string | null;
  entityId: string | null;
}

/** The signals subgraph: a deterministic event source, per tenant and channel. */
export interface SignalsSubgraph extends TestSubgraph {
  /** Sends a signal to `tenant`'s subscribers of `channel`; answers how many there were. */
  publish(tenant: string, channel: string, signal: SignalInput): number;
  /** Subscribers of `tenant`'s `channel` now: the gateway's upstream subscriptions. */
  listeners(tenant: string, channel: string): number;
}

/** The signals subgraph's SDL, with its signals pointing at `entity`. */
export function signalsTypeDefs(entity: SignalEntity): DocumentNode {
  return parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

    type Query {
      signalListeners(channel: String!): Int!
    }

    type Mutation {
      sendSignal(channel: String!, text: String!, entityId: ID): Int!
    }

    type Subscription {
      signals(channel: String!): Signal!
      signalBurst(count: Int!, payloadBytes: Int): Signal!
      forbiddenSignals: Signal!
    }

    type Signal {
      seq: Int!
      tenant: String!
      channel: String!
      text: String!
      payload: String
      ${entity.field}: ${entity.type}
    }

    type ${entity.type} @key(fields: "id", resolvable: false) {
      id: ID!
    }
  `);
}

/**
 * Starts the signals subgraph: `signals(channel)` streams what {@link SignalsSubgraph.publish}
 * (or the `sendSignal` mutation) sends to the caller's tenant, `signalBurst` sends `count`
 * numbered events at once, and `forbiddenSignals` is refused with `FORBIDDEN`.
 */
export async function startSignalsSubgraph(options: { identityPublicKey: string; entity: SignalEntity }): Promise<SignalsSubgraph> {
  const { entity } = options;
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const sequences = new Map<string, number>();
  const key = (tenant: string, channel: string): string => `${tenant}\u0000${channel}`;

  const publish = (tenant: string, channel: string, input: SignalInput): number => {
    const seq = (sequences.get(key(tenant, channel)) ?? 0) + 1;
    sequences.set(key(tenant, channel), seq);
    const signal: Signal = { seq, tenant, channel, text: input.text, payload: input.payload ?? null, entityId: input.entityId ?? null };
    const listeners = emitter.listenerCount(key(tenant, channel));
    emitter.emit(key(tenant, channel), signal);
    return listeners;
  };

  async function* burst(tenant: string, count: number, payloadBytes: number): AsyncGenerator<{ signalBurst: Signal }> {
    for (let seq = 1; seq <= count; seq++) {
      yield { signalBurst: { seq, tenant, channel: "burst", text: `burst ${seq}`, payload: "x".repeat(payloadBytes), entityId: null } };
    }
  }

  const subgraph = await startTestSubgraph({
    name: "signals",
    identityPublicKey: options.identityPublicKey,
    typeDefs: signalsTypeDefs(entity),
    resolvers: {
      Query: {
        signalListeners: (_: unknown, args: { channel: string }, context: TestSubgraphContext) => emitter.listenerCount(key(context.identity.tenant, args.channel)),
      },
      Mutation: {
        sendSignal: (_: unknown, args: { channel: string; text: string; entityId?: string | null }, context: TestSubgraphContext) =>
          publish(context.identity.tenant, args.channel, { text: args.text, ...(args.entityId ? { entityId: args.entityId } : {}) }),
      },
      Subscription: {
        signals: {
          // events.on's iterator ends at once on return(), unlike a generator waiting for its next event.
          subscribe: (_: unknown, args: { channel: string }, context: TestSubgraphContext) => on(emitter, key(context.identity.tenant, args.channel)),
          resolve: (payload: unknown[]) => payload[0],
        },
        signalBurst: {
          subscribe: (_: unknown, args: { count: number; payloadBytes?: number | null }, context: TestSubgraphContext) => burst(context.identity.tenant, args.count, args.payloadBytes ?? 0),
        },
        forbiddenSignals: {
          subscribe: () => {
            throw forbidden("these signals are not for you");
          },
        },
      },
      Signal: {
        [entity.field]: (signal: Signal) => (signal.entityId ? { __typename: entity.type, id: signal.entityId } : null),
      },
    },
  });
  return Object.assign(subgraph, {
    publish,
    listeners: (tenant: string, channel: string) => emitter.listenerCount(key(tenant, channel)),
  });
}

/** The text of the signals {@link publishUntilReceived} sends. */
export const PROBE = "probe";

/**
 * Publishes {@link PROBE} signals to `tenant`'s `channel` until every reader has received
 * something. The gateway acknowledges a subscribe before it runs, and a subscriber joining
 * a running shared subscription gets events from the next one on, so this is how a test
 * knows that whatever it publishes next reaches every reader. Leave probes out of what is
 * checked: one may still be on its way.
 */
export async function publishUntilReceived(signals: SignalsSubgraph, tenant: string, channel: string, readers: readonly { readonly results: readonly unknown[] }[]): Promise<void> {
  const everyone = (): boolean => readers.every((reader) => reader.results.length > 0);
  await eventually(async () => {
    if (!everyone()) signals.publish(tenant, channel, { text: PROBE });
    expect(everyone()).toBe(true);
  });
}
