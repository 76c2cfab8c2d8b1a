import { Arg, Authorized, Resolver, Root, Subscription, type SubscribeResolverData } from "type-graphql";
import type { StoredEventOf } from "../../../../lib/events/event-tail";
import { SUBSCRIPTION_LOOKAHEAD, loadOnce, mapSubscription } from "../../../../lib/server/subscription-stream";
import type { IntelligenceContext } from "../context";
import type { IntelligenceLoaders } from "../intelligence.loader";
import { LeadScoredEvent, LeadScoredFilter } from "./lead-scored.type";
import { TIERS_BY_HEAT, isScoreTier } from "./score.enums";

const SCORE_EVENTS = ["LeadScored"] as const;
type ScoreEvent = StoredEventOf<(typeof SCORE_EVENTS)[number]>;

/** `leadScored`'s arguments, as GraphQL has already coerced them. */
interface LeadScoredArgs {
  filter?: LeadScoredFilter | null;
}

/**
 * What one `LeadScored` event means to one subscriber: the event, or null when it is below
 * the subscriber's tier or its score is gone (the lead was deleted since, scores and all).
 * The payload lacks the factors and time, so the recorded score is loaded.
 */
async function toLeadScored(event: ScoreEvent, minHeat: number, loaders: IntelligenceLoaders): Promise<LeadScoredEvent | null> {
  const { tier, previousTier, scoreId } = event.payload;
  if (!isScoreTier(tier) || TIERS_BY_HEAT.indexOf(tier) < minHeat) return null;
  const score = await loadOnce(loaders.scoreById, scoreId);
  if (!score) return null;
  return { lead: { id: event.aggregateId }, score, previousTier: isScoreTier(previousTier) ? previousTier : null };
}

/** `leadScored`'s event stream: the caller's tenant's new scores only, at or above the tier asked for. */
async function subscribeToLeadScores({ args, context }: SubscribeResolverData<unknown, LeadScoredArgs, IntelligenceContext>): Promise<AsyncIterableIterator<LeadScoredEvent>> {
  const minTier = args.filter?.minTier;
  const minHeat = minTier ? TIERS_BY_HEAT.indexOf(minTier) : 0;
  const events = await context.events.subscribe(context.identity.tenant, { types: SCORE_EVENTS, feed: "leadScored" });
  // Scores of a burst load together: the transforms overlap, and their loads batch.
  return mapSubscription(events, (event) => toLeadScored(event, minHeat, context.loaders), { ahead: SUBSCRIPTION_LOOKAHEAD });
}

/** Live lead scores. Any role may subscribe; each subscriber sees its own tenant's leads only. */
@Resolver(() => LeadScoredEvent)
export class ScoreSubscriptionResolver {
  @Authorized()
  @Subscription(() => LeadScoredEvent, {
    subscribe: subscribeToLeadScores,
    description: "New scores of the caller's leads as they are recorded, optionally from a tier up.",
  })
  leadScored(
    @Root() event: LeadScoredEvent,
    // Declares the argument; `subscribeToLeadScores` is what applies it.
    @Arg("filter", () => LeadScoredFilter, { nullable: true }) _filter: LeadScoredFilter | null,
  ): LeadScoredEvent {
    return event;
  }
}
