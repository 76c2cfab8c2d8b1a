import { print, type DocumentNode, type ExecutionResult, type GraphQLError, type OperationDefinitionNode } from "graphql";
import type { Identity } from "../../../lib/auth/identity";
import { uuidv7 } from "../../../lib/ids";
import type { UpstreamEvent } from "./event-execution";
import { upstreamSubscriptions, type EndReason } from "./subscription-metrics";
import type { QueuedEvent, SubscriptionStream } from "./subscription-stream";
import type { SupergraphSnapshot } from "./supergraph-snapshot";

/** What a subscription's results are computed from, besides its events. */
export interface SharingInputs {
  identity: Identity;
  /** The validated document. */
  document: DocumentNode;
  /** The operation of `document` that runs. */
  operation: OperationDefinitionNode;
  /** The variable values as the client sent them. */
  variables: Readonly<Record<string, unknown>>;
}

/** JSON with every object's keys in one order, so equal values always read the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    const entries = Object.keys(record)
      .sort()
      .filter((key) => record[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * The key under which client subscriptions share one upstream subscription and one
 * execution per event: equal keys must mean identical results. It holds everything a
 * result depends on: the tenant, the role and the scopes (sorted), the operation (the
 * printed document and the operation's name) and the variables as sent (canonical JSON;
 * values that only coerce alike, `1` and `"1"` for an ID, do not share: that costs
 * sharing, never correctness).
 *
 * The subject (`sub`) is left out on purpose, so the users of one tenant and role share:
 * no subgraph reads it for a result. They authorize by role and scope (`@Authorized`,
 * judged by `roleAuthChecker` on `identity.role` and `identity.scopes`) and filter by
 * `identity.tenant`; `identity.sub` is read only by mutations, to record who wrote (a
 * note's author, an account change's `changed_by`, an invoice's closer). A field whose
 * result comes to depend on the subject must put it here.
 */
export function sharingKey({ identity, document, operation, variables }: SharingInputs): string {
  const scopes = [...identity.scopes].sort();
  return JSON.stringify([identity.tenant, identity.role, scopes, print(document), operation.name?.value ?? null, canonicalJson(variables)]);
}

/**
 * The identity a shared subscription runs as: what its key holds (tenant, role, scopes),
 * and the subject of the member that started it, which results do not depend on (see
 * {@link sharingKey}). The credential's expiry is left behind: every member's own expiry
 * ends that member, and the gateway signs a fresh identity token for every fetch.
 */
export function sharedIdentity(identity: Identity): Identity {
  return { sub: identity.sub, tenant: identity.tenant, role: identity.role, scopes: [...identity.scopes].sort() };
}

/**
 * One upstream event of a shared subscription, executed once for every member it was
 * pushed to: when the subscription starts it, or when a member asks for it first.
 */
class SharedEvent implements QueuedEvent {
  readonly receivedAt = performance.now();
  private execution: Promise<ExecutionResult> | undefined;

  constructor(
    private readonly event: UpstreamEvent,
    private readonly execute: (event: UpstreamEvent) => Promise<ExecutionResult>,
  ) {}

  /** Whether its execution has begun. */
  get started(): boolean {
    return this.execution !== undefined;
  }

  result(): Promise<ExecutionResult> {
    this.execution ??= this.execute(this.event);
    return this.execution;
  }
}

/** Options for {@link SharedSubscription}. */
export interface SharedSubscriptionOptions {
  /** The root field, for metrics. */
  field: string;
  /** The supergraph it was planned on. */
  snapshot: SupergraphSnapshot;
  /** Turns one upstream event into every member's result (masked); must not reject. */
  execute(event: UpstreamEvent): Promise<ExecutionResult>;
  /** Events executing at once; more wait, and start in arrival order. */
  maxConcurrentExecutions: number;
  /** Called once, as it closes: forget it, so the next identical subscribe starts afresh. */
  onClose(): void;
}

/**
 * Client subscriptions whose results are identical (one {@link sharingKey}), served by
 * one upstream subscription and one execution of the rest of the plan per event, the
 * result fanned out to every member's own {@link SubscriptionStream}.
 *
 * Each member keeps what is its own: its bounded queue and order, its slow-consumer drop,
 * its credential expiry and its ending, its slot and its metrics. Fanning out only queues
 * an event for each member, so a member whose socket is slow delays nobody else. Events
 * execute as they arrive, up to `maxConcurrentExecutions` at once (a member that reaches a
 * waiting one starts it), and every member reads the same result in arrival order: a
 * burst costs about one round trip of entity fetches, not one per event.
 *
 * A member that joins a running shared subscription gets events from the next one on:
 * nothing that arrived before it joined is replayed, since the gateway cannot tell an event
 * (replaying one would deliver it late) from a state. So a field whose subgraph answers a
 * subscribe with the current state first (`dashboardUpdated`, `usageUpdated`) gives that
 * state to the member that opened the upstream subscription only; a later member waits for
 * the next change.
 *
 * The upstream subscription opens with the first member and is closed as the last one
 * leaves. Whatever ends it upstream (failure, completion) or ends every member (a schema
 * reload, shutdown) ends each member exactly as it would a subscription of its own.
 */
export class SharedSubscription {
  /** Its own id, sent upstream as the request id, and logged beside each member's. */
  readonly id = uuidv7();
  private readonly members = new Set<SubscriptionStream>();
  /** Events not yet started, oldest first. */
  private readonly waiting: SharedEvent[] = [];
  private executing = 0;
  private closeUpstream: (() => void) | undefined;
  private closed = false;

  constructor(private readonly options: SharedSubscriptionOptions) {
    upstreamSubscriptions.inc({ field: options.field });
  }

  /** The supergraph it was planned on: only subscriptions planned on the same one may join. */
  get snapshot(): SupergraphSnapshot {
    return this.options.snapshot;
  }

  /** Whether it has closed: nothing may join, and its upstream subscription is gone. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Members now. */
  get size(): number {
    return this.members.size;
  }

  /** Adds a member, which gets every event from the next one on; false once closed. */
  join(member: SubscriptionStream): boolean {
    if (this.closed) return false;
    this.members.add(member);
    return true;
  }

  /** Takes a member out (it has ended); the last one out closes the upstream subscription. */
  leave(member: SubscriptionStream): void {
    if (this.members.delete(member) && this.members.size === 0) this.close();
  }

  /** Hands over the function that closes the upstream subscription, now opened; called at once if it has closed meanwhile. */
  attachUpstream(close: () => void): void {
    if (this.closed) close();
    else this.closeUpstream = close;
  }

  /** Takes an event from the owning subgraph and queues it for every member. */
  push(event: UpstreamEvent): void {
    if (this.closed) return;
    const queued = new SharedEvent(event, this.options.execute);
    // A copy: a member that overflows is dropped, and leaves, during the loop.
    for (const member of [...this.members]) member.push(queued);
    this.waiting.push(queued);
    this.startWaiting();
  }

  private startWaiting(): void {
    while (!this.closed && this.executing < this.options.maxConcurrentExecutions) {
      const next = this.waiting.shift();
      if (!next) return;
      if (next.started) continue;
      this.executing += 1;
      void next.result().finally(() => {
        this.executing -= 1;
        this.startWaiting();
      });
    }
  }

  /**
   * Ends every member for `reason`, each with `errors` (by default, what the reason tells
   * a client) as its last result, and closes. Later calls do nothing.
   */
  end(reason: EndReason, errors?: readonly GraphQLError[]): void {
    const members = [...this.members];
    this.close();
    for (const member of members) member.end(reason, errors);
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.waiting.length = 0;
    this.closeUpstream?.();
    this.closeUpstream = undefined;
    upstreamSubscriptions.dec({ field: this.options.field });
    this.options.onClose();
  }
}
