/**
 * # Property matching
 *
 * Which listings to show a lead, best first. Two steps:
 *
 * **1. Hard filter ({@link isCandidate}).** A listing is offered only when all of these hold:
 * - its status is ACTIVE or COMING_SOON (pending, sold and off-market homes cannot be bought);
 * - with a maximum budget, its price is at most 5% over it (buyers stretch a little; more
 *   than that wastes their time);
 * - with a minimum of bedrooms, it has at least that many;
 * - with named areas, it is in one of them (exact area name);
 * - with named property types, it is one of them.
 * The minimum budget is not a hard rule: a cheaper home is still shown, it just ranks low.
 *
 * **2. Score (0..100, {@link rankMatches}).**
 *
 * | Part | Max | Points |
 * |---|---|---|
 * | Price | 40 | at or under the maximum budget: `round(40 * price / budgetMax)`, so the more of the budget a home uses, the better; over budget within the 5% stretch: 15; no maximum budget: 20 |
 * | Bedrooms | 25 | exactly the minimum asked or one more: 25; more than that: 15; none asked: 10 |
 * | Area | 20 | in a named area: 20; no area named: 10 |
 * | Type | 10 | an asked type: 10; none asked: 5 |
 * | Freshness | 5 | listed in the last 14 days: 5; in the last 30 days: 3; older: 0 |
 *
 * A home far below the budget scores low on price on purpose: it is probably not what the
 * lead is saving for. Matches sort by score (high first), then newest listing, then listing
 * id, a total order, so cursor pagination over them is stable. Each match carries short
 * reasons a realtor can read to the lead: "Within budget ($425,000 of $450,000)",
 * "4 bedrooms, 1 more than asked", "In Round Rock", "A townhouse, as asked", "Listed 5 days
 * ago" (only while the age still earns points), "Coming soon".
 *
 * @packageDocumentation
 */
import { PropertyType } from "../../../leads/src/lead/lead.enums";
import type { SearchProfile } from "../features/lead-features";
import { AVAILABLE_LISTING_STATUSES, ListingStatus } from "../property/property.enums";
import { dollars, plural } from "../score/score.model";

/** A listing as matching sees it: the fields the hard filter, the score and the reasons read. */
export interface Listing {
  id: string;
  mlsNumber: string;
  address: string;
  city: string;
  /** Area name as the market knows it (e.g. "Round Rock"); what leads name in their search. */
  area: string;
  /** Whole dollars. */
  price: number;
  bedrooms: number;
  bathrooms: number;
  squareFeet: number;
  propertyType: PropertyType;
  status: ListingStatus;
  /** When the listing went on the market (or was entered, for COMING_SOON). */
  listedAt: Date;
}

/** A listing offered to a lead, with its score (a whole number in 0..100) and the reasons for it. */
export interface RankedMatch {
  listing: Listing;
  score: number;
  reasons: string[];
}

/** How far over the maximum budget a listing may go, in percent. */
const STRETCH_PERCENT = 5;
const PRICE_MAX = 40;
const OVER_BUDGET_POINTS = 15;
const NO_BUDGET_POINTS = 20;
const DAY_MS = 24 * 60 * 60 * 1000;

const TYPE_NOUNS: Readonly<Record<PropertyType, string>> = {
  [PropertyType.SINGLE_FAMILY]: "single-family home",
  [PropertyType.CONDO]: "condo",
  [PropertyType.TOWNHOUSE]: "townhouse",
  [PropertyType.MULTI_FAMILY]: "multi-family home",
  [PropertyType.LAND]: "lot",
  [PropertyType.MANUFACTURED]: "manufactured home",
};

/** One part of a match's score and the sentence behind it (null when the part has nothing worth saying). */
interface Part {
  points: number;
  reason: string | null;
}

/** The hard filter: whether a listing may be offered to a lead with this search at all. */
export function isCandidate(profile: SearchProfile, listing: Listing): boolean {
  return (
    AVAILABLE_LISTING_STATUSES.includes(listing.status) &&
    (profile.budgetMax === null || withinStretch(listing.price, profile.budgetMax)) &&
    (profile.bedroomsMin === null || listing.bedrooms >= profile.bedroomsMin) &&
    (profile.areas.length === 0 || profile.areas.includes(listing.area)) &&
    (profile.propertyTypes.length === 0 || profile.propertyTypes.includes(listing.propertyType))
  );
}

/**
 * The candidates among `listings`, scored and sorted best first (score desc, listedAt desc,
 * id asc). `now` dates the freshness part; passing it in keeps the function pure.
 */
export function rankMatches(profile: SearchProfile, listings: readonly Listing[], now: Date): RankedMatch[] {
  return listings
    .filter((listing) => isCandidate(profile, listing))
    .map((listing) => scoreMatch(profile, listing, now))
    .sort(compareMatches);
}

function scoreMatch(profile: SearchProfile, listing: Listing, now: Date): RankedMatch {
  const parts = [
    pricePart(profile, listing.price),
    bedroomsPart(profile.bedroomsMin, listing.bedrooms),
    areaPart(profile.areas, listing.area),
    typePart(profile.propertyTypes, listing.propertyType),
    freshnessPart(listing, now),
  ];
  return {
    listing,
    score: parts.reduce((total, part) => total + part.points, 0),
    reasons: parts.flatMap((part) => (part.reason === null ? [] : [part.reason])),
  };
}

/** Compared in whole dollars times 100 so "5% over" is exact, with no floating-point edge. */
function withinStretch(price: number, budgetMax: number): boolean {
  return price * 100 <= budgetMax * (100 + STRETCH_PERCENT);
}

function pricePart(profile: SearchProfile, price: number): Part {
  const { budgetMin, budgetMax } = profile;
  if (budgetMax === null) return { points: NO_BUDGET_POINTS, reason: `Priced at ${dollars(price)}` };
  if (price > budgetMax) {
    const over = Math.max(1, Math.round(((price - budgetMax) / budgetMax) * 100));
    return { points: OVER_BUDGET_POINTS, reason: `${dollars(price)} is ${over}% over budget` };
  }
  const points = Math.round(PRICE_MAX * budgetShare(price, budgetMax));
  if (budgetMin !== null && price < budgetMin) {
    return { points, reason: `${dollars(price)}, under the ${dollars(budgetMin)} minimum` };
  }
  return { points, reason: `Within budget (${dollars(price)} of ${dollars(budgetMax)})` };
}

/** The part of the budget a price uses, 0..1; a zero budget that a free listing meets counts as fully used. */
function budgetShare(price: number, budgetMax: number): number {
  if (budgetMax <= 0) return 1;
  return Math.min(1, Math.max(0, price / budgetMax));
}

function bedroomsPart(bedroomsMin: number | null, bedrooms: number): Part {
  const rooms = `${bedrooms} ${plural(bedrooms, "bedroom")}`;
  if (bedroomsMin === null) return { points: 10, reason: rooms };
  const extra = bedrooms - bedroomsMin;
  if (extra === 0) return { points: 25, reason: `${rooms} as asked` };
  // One spare room is what most buyers hope for; beyond that they pay for space they did not want.
  return { points: extra === 1 ? 25 : 15, reason: `${rooms}, ${extra} more than asked` };
}

function areaPart(areas: readonly string[], area: string): Part {
  return { points: areas.length > 0 ? 20 : 10, reason: `In ${area}` };
}

function typePart(types: readonly PropertyType[], type: PropertyType): Part {
  const noun = `A ${TYPE_NOUNS[type]}`;
  return types.length > 0 ? { points: 10, reason: `${noun}, as asked` } : { points: 5, reason: noun };
}

/** Coming-soon homes say so; others mention their age only while it still earns points. */
function freshnessPart(listing: Listing, now: Date): Part {
  // A listing dated ahead of `now` (clock skew, a coming-soon date) counts as brand new.
  const ageMs = Math.max(0, now.getTime() - listing.listedAt.getTime());
  const points = ageMs <= 14 * DAY_MS ? 5 : ageMs <= 30 * DAY_MS ? 3 : 0;
  if (listing.status === ListingStatus.COMING_SOON) return { points, reason: "Coming soon" };
  return { points, reason: points > 0 ? listedAgo(Math.floor(ageMs / DAY_MS)) : null };
}

function listedAgo(days: number): string {
  return days === 0 ? "Listed today" : `Listed ${days} ${plural(days, "day")} ago`;
}

/** Score desc, then newest first, then id: a total order, which cursor pagination needs. */
function compareMatches(a: RankedMatch, b: RankedMatch): number {
  return (
    b.score - a.score ||
    b.listing.listedAt.getTime() - a.listing.listedAt.getTime() ||
    (a.listing.id < b.listing.id ? -1 : a.listing.id > b.listing.id ? 1 : 0)
  );
}
