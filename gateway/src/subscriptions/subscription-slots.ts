import type { GraphQLError } from "graphql";
import { ErrorCode, clientError } from "../../../lib/errors";
import type { ClientSession } from "./client-session";

/** A place for one subscription, held until it ends. */
export interface SubscriptionSlot {
  /** Gives the place back; later calls do nothing. */
  release(): void;
}

/** How many subscriptions may run at once. */
export interface SlotLimits {
  maxPerConnection: number;
  maxPerTenant: number;
}

/**
 * Counts subscriptions per connection and per tenant. A slot is taken when a subscribe is
 * accepted, before anything is sent upstream, so concurrent subscribes cannot both slip
 * under a limit; it is given back when the subscription ends.
 */
export class SubscriptionSlots {
  private readonly perTenant = new Map<string, number>();
  private readonly perSession = new WeakMap<ClientSession, number>();

  constructor(private readonly limits: SlotLimits) {}

  /** Subscriptions `tenant` holds now. */
  heldBy(tenant: string): number {
    return this.perTenant.get(tenant) ?? 0;
  }

  /** A slot for one more subscription of `session`, or the `SUBSCRIPTION_LIMIT_EXCEEDED` error refusing it. */
  reserve(session: ClientSession): SubscriptionSlot | GraphQLError {
    const { tenant } = session.identity;
    const onConnection = this.perSession.get(session) ?? 0;
    if (onConnection >= this.limits.maxPerConnection) {
      return clientError(ErrorCode.SUBSCRIPTION_LIMIT_EXCEEDED, `this connection already holds ${onConnection} subscriptions, the most allowed; complete one first`, { limit: this.limits.maxPerConnection });
    }
    const ofTenant = this.heldBy(tenant);
    if (ofTenant >= this.limits.maxPerTenant) {
      return clientError(ErrorCode.SUBSCRIPTION_LIMIT_EXCEEDED, `this tenant already holds ${ofTenant} subscriptions, the most allowed; complete one first`, { limit: this.limits.maxPerTenant });
    }
    this.perSession.set(session, onConnection + 1);
    this.perTenant.set(tenant, ofTenant + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.perSession.set(session, (this.perSession.get(session) ?? 1) - 1);
        const left = this.heldBy(tenant) - 1;
        // Tenants come and go; only those holding subscriptions stay in the map.
        if (left > 0) this.perTenant.set(tenant, left);
        else this.perTenant.delete(tenant);
      },
    };
  }
}
