import type { AuthenticatedIdentity } from "../auth/authenticate";
import { slowConsumerDrops, type EndReason, type Transport } from "./subscription-metrics";

/** A running subscription as its session sees it: something to end. */
export interface SessionSubscription {
  end(reason: EndReason): void;
}

/** Options for {@link ClientSession}. */
export interface ClientSessionOptions {
  /** For logs. */
  id: string;
  identity: AuthenticatedIdentity;
  transport: Transport;
  /** Cuts the client off because it stopped reading, the transport's way (a close code, a reset). */
  dropConnection(): void;
}

// Node fires a timer whose delay exceeds this at once, so longer waits are taken in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `callback` at `date`, however far ahead; returns the cancel function. */
function callAt(date: Date, callback: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const wait = date.getTime() - Date.now();
    if (wait <= 0) return callback();
    timer = setTimeout(arm, Math.min(wait, MAX_TIMER_MS));
    // A credential's expiry must not keep the process alive.
    timer.unref();
  };
  timer = setTimeout(arm, 0);
  timer.unref();
  return () => clearTimeout(timer);
}

/**
 * One client connection (a WebSocket, or one SSE request): who it is, the subscriptions it
 * holds, and when its credential runs out. The identity is established once, at connect,
 * so the connection cannot outlive the credential: at its expiry every subscription ends
 * and later operations are refused.
 */
export class ClientSession {
  /** Subscriptions running on this connection. */
  readonly subscriptions = new Set<SessionSubscription>();
  private expired = false;
  private closed = false;
  private readonly cancelExpiry: () => void;

  constructor(private readonly options: ClientSessionOptions) {
    const { expiresAt } = options.identity;
    this.cancelExpiry = expiresAt ? callAt(expiresAt, () => this.expire()) : () => undefined;
  }

  /** The connection's id, for logs. */
  get id(): string {
    return this.options.id;
  }

  /** The authenticated caller. */
  get identity(): AuthenticatedIdentity {
    return this.options.identity;
  }

  /** How the client is connected. */
  get transport(): Transport {
    return this.options.transport;
  }

  /** Whether the credential the connection was opened with has run out. */
  get credentialsExpired(): boolean {
    const { expiresAt } = this.options.identity;
    return this.expired || (expiresAt !== undefined && expiresAt.getTime() <= Date.now());
  }

  /** Whether the connection is gone (closed or dropped); nothing new may start on it. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Ends the connection's subscriptions and drops the client for falling behind them. */
  dropSlowConsumer(): void {
    if (this.closed) return;
    slowConsumerDrops.inc({ transport: this.options.transport });
    this.close("slow_consumer");
    this.options.dropConnection();
  }

  /** The connection is gone: ends what still runs on it (for `reason`) and stops the expiry timer. */
  close(reason: EndReason = "client"): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelExpiry();
    this.endAll(reason);
  }

  private expire(): void {
    this.expired = true;
    this.endAll("credentials_expired");
  }

  private endAll(reason: EndReason): void {
    for (const subscription of [...this.subscriptions]) subscription.end(reason);
  }
}
