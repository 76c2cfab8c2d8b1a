import { Arg, Authorized, Ctx, FieldResolver, Resolver, Root, Subscription, type SubscribeResolverData } from "type-graphql";
import type { StoredEventOf } from "../../../../lib/events/event-tail";
import { SUBSCRIPTION_LOOKAHEAD, loadOnce, mapSubscription } from "../../../../lib/server/subscription-stream";
import type { LeadsContext } from "../context";
import { LeadChangeEvent, LeadChangeFilter, LeadChangeKind } from "./lead-change.type";
import { isLeadStatus } from "./lead.enums";
import type { LeadLoaders } from "./lead.loader";
import { Lead } from "./lead.type";

/** The events a lead change is made of. */
const LEAD_CHANGE_EVENTS = ["LeadCreated", "LeadUpdated", "LeadStatusChanged", "LeadDeleted"] as const;
type LeadEvent = StoredEventOf<(typeof LEAD_CHANGE_EVENTS)[number]>;

/** `leadChanged`'s arguments, as GraphQL has already coerced them. */
interface LeadChangedArgs {
  filter?: LeadChangeFilter | null;
}

/** A filter ready to apply: a null set matches anything. */
interface ChangeFilter {
  statuses: ReadonlySet<string> | null;
  sources: ReadonlySet<string> | null;
}

function toChangeFilter(filter: LeadChangeFilter | null | undefined): ChangeFilter {
  const set = (values: readonly string[] | null | undefined) => (values && values.length > 0 ? new Set<string>(values) : null);
  return { statuses: set(filter?.statuses), sources: set(filter?.sources) };
}

function matches(set: ReadonlySet<string> | null, value: string | null): boolean {
  return set === null || (value !== null && set.has(value));
}

/**
 * What one event means to one subscriber: the change, or null when the filter leaves it
 * out. The filter applies to the lead after the change: the event's own snapshot where it
 * carries one; for a status change, the new status and the lead's current source. A
 * deleted lead has neither, so a deletion reaches unfiltered subscriptions only.
 */
async function toLeadChange(event: LeadEvent, filter: ChangeFilter, loaders: LeadLoaders): Promise<LeadChangeEvent | null> {
  const leadId = event.aggregateId;
  const occurredAt = event.occurredAt;
  switch (event.type) {
    case "LeadDeleted":
      return filter.statuses === null && filter.sources === null ? { kind: LeadChangeKind.DELETED, leadId, previousStatus: null, occurredAt } : null;
    case "LeadCreated":
    case "LeadUpdated": {
      const { status, source } = event.payload.lead;
      if (!matches(filter.statuses, status) || !matches(filter.sources, source)) return null;
      return { kind: event.type === "LeadCreated" ? LeadChangeKind.CREATED : LeadChangeKind.UPDATED, leadId, previousStatus: null, occurredAt };
    }
    case "LeadStatusChanged": {
      if (!matches(filter.statuses, event.payload.to)) return null;
      if (filter.sources !== null && !matches(filter.sources, (await loadOnce(loaders.leadById, leadId))?.source ?? null)) return null;
      const previousStatus = isLeadStatus(event.payload.from) ? event.payload.from : null;
      return { kind: LeadChangeKind.STATUS_CHANGED, leadId, previousStatus, occurredAt };
    }
  }
}

/** `leadChanged`'s event stream: the caller's tenant's lead events only, filtered. */
async function subscribeToLeadChanges({ args, context }: SubscribeResolverData<unknown, LeadChangedArgs, LeadsContext>): Promise<AsyncIterableIterator<LeadChangeEvent>> {
  const filter = toChangeFilter(args.filter);
  const events = await context.events.subscribe(context.identity.tenant, { types: LEAD_CHANGE_EVENTS, feed: "leadChanged" });
  return mapSubscription(events, (event) => toLeadChange(event, filter, context.loaders), { ahead: SUBSCRIPTION_LOOKAHEAD });
}

/** Live lead changes. Any role may subscribe; each subscriber sees its own tenant's leads only. */
@Resolver(() => LeadChangeEvent)
export class LeadSubscriptionResolver {
  @Authorized()
  @Subscription(() => LeadChangeEvent, {
    subscribe: subscribeToLeadChanges,
    description: "Changes to the caller's leads as they are committed: created, updated, moved along the pipeline, deleted.",
  })
  leadChanged(
    @Root() change: LeadChangeEvent,
    // Declares the argument; `subscribeToLeadChanges` is what applies it.
    @Arg("filter", () => LeadChangeFilter, { nullable: true }) _filter: LeadChangeFilter | null,
  ): LeadChangeEvent {
    return change;
  }

  @Authorized()
  @FieldResolver(() => Lead, { nullable: true, description: "The lead as it is now; null when it was deleted, in this change or since." })
  lead(@Root() change: LeadChangeEvent, @Ctx() ctx: LeadsContext): Promise<Lead | null> | null {
    // Each event runs with fresh loaders, so this is the current row.
    return change.kind === LeadChangeKind.DELETED ? null : ctx.loaders.leadById.load(change.leadId);
  }
}
