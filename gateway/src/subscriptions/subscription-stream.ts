import type { ExecutionResult, GraphQLError } from "graphql";
import { BoundedQueue, DONE } from "../../../lib/bounded-queue";
import { ErrorCode, clientError } from "../../../lib/errors";
import type { SessionSubscription } from "./client-session";
import { deliveredEvents, deliverySeconds, type EndReason } from "./subscription-metrics";

/**
 * An upstream event on its way to a client: when it arrived from its subgraph, and its
 * result, executed once however many streams it was pushed to (see `SharedSubscription`).
 */
export interface QueuedEvent {
  /** `performance.now()` at its arrival from the subgraph. */
  readonly receivedAt: number;
  /** The client's result (masked); must not reject. */
  result(): Promise<ExecutionResult>;
}

/** Options for {@link SubscriptionStream}. */
export interface SubscriptionStreamOptions {
  /** The root field, for metrics. */
  field: string;
  /** Events that may wait for the client; one more calls {@link onOverflow}. */
  maxQueuedEvents: number;
  /** Turns the errors a subscription ends with into its last result (masked). */
  finalResult(errors: readonly GraphQLError[]): ExecutionResult;
  /** The client has fallen `maxQueuedEvents` behind. */
  onOverflow(): void;
  /** Called once, as the stream ends for `reason`: release what it holds. */
  onEnd(reason: EndReason): void;
}

type Pending = { kind: "event"; event: QueuedEvent } | { kind: "final"; result: ExecutionResult };

/** The error a subscription ends with, for reasons the client should be told about. */
function endingErrors(reason: EndReason): readonly GraphQLError[] | undefined {
  switch (reason) {
    case "credentials_expired":
      return [clientError(ErrorCode.SUBSCRIPTION_CREDENTIALS_EXPIRED, "subscription ended: the credentials it was started with have expired; reconnect with fresh credentials and subscribe again")];
    case "schema_reload":
      return [clientError(ErrorCode.SUBSCRIPTION_SCHEMA_RELOAD, "subscription ended: the gateway loaded a new schema; subscribe again")];
    case "upstream_failed":
      return [clientError(ErrorCode.SUBSCRIPTION_UPSTREAM_FAILED, "subscription ended: the service behind it failed; subscribe again")];
    default:
      return undefined;
  }
}

/**
 * What a subgraph winding a subscription down sends has already happened; anything else
 * that ends it makes events still waiting moot (expired credentials must see no more data).
 */
function preempts(reason: EndReason): boolean {
  return reason !== "upstream_complete" && reason !== "upstream_failed";
}

/**
 * One client subscription's results, in order: upstream events wait in a bounded queue and
 * their results are asked for one at a time as the transport asks for the next, so this
 * client's event N+1 is not asked for before its event N is written out. The execution
 * behind a result may be shared with other clients' streams (see `SharedSubscription`); the
 * queue, the order, the slow-consumer drop and the ending are this stream's alone. When the
 * queue is full the client is not keeping up, and the stream says so instead of growing.
 *
 * A hand-written iterator, not an async generator: a generator's `return()` waits until the
 * generator next yields, which a subscription waiting for its next event may never do, and
 * the upstream subscription would leak. Here `return()` ends everything at once.
 *
 * It shares the queue with a subgraph's `createSubscriberQueue` but not the rest, on purpose:
 * there a subscriber that falls behind a shared feed ends alone, with `SUBSCRIBER_TOO_SLOW`
 * in its own stream; here the client behind a socket is too slow, so the transport drops the
 * client (`onOverflow`), events are executed ahead of the reader (a bounded number at once), and an ending carries a
 * result of its own that may pre-empt what is still queued.
 */
export class SubscriptionStream implements AsyncIterableIterator<ExecutionResult>, SessionSubscription {
  private readonly queue: BoundedQueue<Pending>;
  private endedFor: EndReason | undefined;
  private preempted = false;
  /** When the result last handed out arrived upstream, until the transport asks for more (it has then written it). */
  private handedOutAt: number | undefined;

  constructor(private readonly options: SubscriptionStreamOptions) {
    this.queue = new BoundedQueue(options.maxQueuedEvents);
  }

  /** Why the stream ended, or undefined while it runs. */
  get endReason(): EndReason | undefined {
    return this.endedFor;
  }

  /** Takes an event from the owning subgraph. */
  push(event: QueuedEvent): void {
    if (this.endedFor) return;
    if (!this.queue.push({ kind: "event", event })) this.options.onOverflow();
  }

  /**
   * Ends the stream for `reason`, with `errors` (by default, what the reason tells the client)
   * as its last result. Later calls do nothing.
   */
  end(reason: EndReason, errors: readonly GraphQLError[] | undefined = endingErrors(reason)): void {
    if (this.endedFor) return;
    this.endedFor = reason;
    if (preempts(reason)) {
      this.preempted = true;
      this.queue.clear();
    }
    this.queue.close(errors && errors.length > 0 ? { kind: "final", result: this.options.finalResult(errors) } : undefined);
    this.options.onEnd(reason);
  }

  /**
   * The next result, once its event has been executed; called by the transport when it has
   * written the previous one (which is when that one counts as delivered).
   */
  async next(): Promise<IteratorResult<ExecutionResult, undefined>> {
    this.recordDelivery();
    for (;;) {
      const taken = await this.queue.take();
      if (taken.done) return DONE;
      const pending = taken.value;
      if (pending.kind === "final") return { done: false, value: pending.result };
      const result = await pending.event.result();
      // Ended while the event executed: what ended it comes first, and the event is dropped.
      if (this.preempted) continue;
      this.handedOutAt = pending.event.receivedAt;
      return { done: false, value: result };
    }
  }

  /** The client completed the subscription or went away. */
  async return(): Promise<IteratorResult<ExecutionResult, undefined>> {
    this.handedOutAt = undefined;
    this.end("client");
    return DONE;
  }

  /** Ends the subscription, as `return()` does: nothing is thrown into a stream of events. */
  async throw(): Promise<IteratorResult<ExecutionResult, undefined>> {
    return this.return();
  }

  /** The stream is its own iterator. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  private recordDelivery(): void {
    if (this.handedOutAt === undefined) return;
    deliverySeconds.observe({ field: this.options.field }, (performance.now() - this.handedOutAt) / 1000);
    deliveredEvents.inc({ field: this.options.field });
    this.handedOutAt = undefined;
  }
}
