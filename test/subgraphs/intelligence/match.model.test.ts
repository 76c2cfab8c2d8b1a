import { BuyingTimeline, PropertyType } from "../../../subgraphs/leads/src/lead/lead.enums";
import type { SearchProfile } from "../../../subgraphs/intelligence/src/features/lead-features";
import { isCandidate, rankMatches, type Listing, type RankedMatch } from "../../../subgraphs/intelligence/src/match/match.model";
import { AVAILABLE_LISTING_STATUSES, ListingStatus } from "../../../subgraphs/intelligence/src/property/property.enums";
import { chance, int, pick, prng, subset, type Random } from "../../helpers/random";


const DAY_MS = 24 * 60 * 60 * 1000;
const NOW = new Date("2026-11-15T12:00:00Z");
const daysAgo = (days: number): Date => new Date(NOW.getTime() - days * DAY_MS);
const AREAS = ["Round Rock", "Cedar Park", "Pflugerville", "Georgetown", "Leander", "Hutto"] as const;

function listing(overrides: Partial<Listing> = {}): Listing {
  return {
    id: "l-1",
    mlsNumber: "MLS-1",
    address: "100 Main St",
    city: "Round Rock",
    area: "Round Rock",
    price: 425_000,
    bedrooms: 3,
    bathrooms: 2,
    squareFeet: 1_800,
    propertyType: PropertyType.SINGLE_FAMILY,
    status: ListingStatus.ACTIVE,
    listedAt: daysAgo(5),
    ...overrides,
  };
}

function profile(overrides: Partial<SearchProfile> = {}): SearchProfile {
  return { budgetMin: null, budgetMax: null, bedroomsMin: null, areas: [], propertyTypes: [], timeline: BuyingTimeline.UNKNOWN, ...overrides };
}

function randomListing(random: Random, index: number): Listing {
  return listing({
    // Shared dates and repeated prices on purpose: ties must still order totally.
    id: `l-${String(int(random, 0, 99_999)).padStart(5, "0")}-${index}`,
    mlsNumber: `MLS-${index}`,
    area: pick(random, AREAS),
    price: int(random, 20, 200) * 5_000,
    bedrooms: int(random, 0, 6),
    propertyType: pick(random, Object.values(PropertyType)),
    status: chance(random, 0.7) ? pick(random, AVAILABLE_LISTING_STATUSES) : pick(random, Object.values(ListingStatus)),
    listedAt: daysAgo(int(random, 0, 12) * 5),
  });
}

function randomProfile(random: Random): SearchProfile {
  const budgetMax = chance(random, 0.7) ? int(random, 40, 200) * 5_000 : null;
  return profile({
    budgetMin: budgetMax !== null && chance(random, 0.3) ? Math.floor(budgetMax * 0.7) : null,
    budgetMax,
    bedroomsMin: chance(random, 0.5) ? int(random, 1, 4) : null,
    areas: subset(random, AREAS),
    propertyTypes: subset(random, Object.values(PropertyType)),
  });
}

const random = prng(424242);
const LISTINGS: Listing[] = Array.from({ length: 400 }, (_, i) => randomListing(random, i));
const PROFILES: SearchProfile[] = Array.from({ length: 300 }, () => randomProfile(random));

/** The documented order: score desc, listedAt desc, id asc. Negative when `a` comes first. */
function documentedOrder(a: RankedMatch, b: RankedMatch): number {
  if (a.score !== b.score) return b.score - a.score;
  if (a.listing.listedAt.getTime() !== b.listing.listedAt.getTime()) return b.listing.listedAt.getTime() - a.listing.listedAt.getTime();
  return a.listing.id < b.listing.id ? -1 : a.listing.id > b.listing.id ? 1 : 0;
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const next = prng(seed);
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

describe("isCandidate, the hard filter", () => {
  it.each([ListingStatus.SOLD, ListingStatus.PENDING, ListingStatus.OFF_MARKET])("never offers a %s listing, even to an open search", (status) => {
    expect(isCandidate(profile(), listing({ status }))).toBe(false);
    expect(isCandidate(profile({ budgetMax: 900_000, areas: ["Round Rock"] }), listing({ status }))).toBe(false);
  });

  it.each([ListingStatus.ACTIVE, ListingStatus.COMING_SOON])("offers a %s listing", (status) => {
    expect(isCandidate(profile(), listing({ status }))).toBe(true);
  });

  it.each([20, 100_000, 123_460, 450_000, 999_980, 1_234_560])("lets a %i budget stretch exactly 5%, and not a dollar more", (budgetMax) => {
    const fivePercent = (budgetMax * 105) / 100;
    expect(isCandidate(profile({ budgetMax }), listing({ price: fivePercent }))).toBe(true);
    expect(isCandidate(profile({ budgetMax }), listing({ price: fivePercent + 1 }))).toBe(false);
  });

  it("takes 5% over a $450,000 budget and refuses 5.1%", () => {
    expect(isCandidate(profile({ budgetMax: 450_000 }), listing({ price: 472_500 }))).toBe(true);
    expect(isCandidate(profile({ budgetMax: 450_000 }), listing({ price: 472_950 }))).toBe(false);
  });

  it("does not treat the minimum budget as a hard rule", () => {
    expect(isCandidate(profile({ budgetMin: 300_000, budgetMax: 450_000 }), listing({ price: 250_000 }))).toBe(true);
  });

  it("respects the minimum of bedrooms", () => {
    expect(isCandidate(profile({ bedroomsMin: 3 }), listing({ bedrooms: 2 }))).toBe(false);
    expect(isCandidate(profile({ bedroomsMin: 3 }), listing({ bedrooms: 3 }))).toBe(true);
    expect(isCandidate(profile({ bedroomsMin: 3 }), listing({ bedrooms: 5 }))).toBe(true);
  });

  it("respects named areas and property types", () => {
    const search = profile({ areas: ["Cedar Park", "Leander"], propertyTypes: [PropertyType.TOWNHOUSE, PropertyType.CONDO] });
    expect(isCandidate(search, listing({ area: "Leander", propertyType: PropertyType.CONDO }))).toBe(true);
    expect(isCandidate(search, listing({ area: "Round Rock", propertyType: PropertyType.CONDO }))).toBe(false);
    expect(isCandidate(search, listing({ area: "Leander", propertyType: PropertyType.SINGLE_FAMILY }))).toBe(false);
  });

  it("agrees with every hard rule over generated searches and listings", () => {
    const disagreements = PROFILES.flatMap((search) =>
      LISTINGS.filter((l) => {
        const expected =
          AVAILABLE_LISTING_STATUSES.includes(l.status) &&
          (search.budgetMax === null || l.price <= Math.round(search.budgetMax * 1.05)) &&
          (search.bedroomsMin === null || l.bedrooms >= search.bedroomsMin) &&
          (search.areas.length === 0 || search.areas.includes(l.area)) &&
          (search.propertyTypes.length === 0 || search.propertyTypes.includes(l.propertyType));
        return isCandidate(search, l) !== expected;
      }).map((l) => ({ search, listing: l.id })),
    );
    expect(disagreements).toEqual([]);
  });
});

describe("rankMatches, properties over generated searches", () => {
  const ranked = PROFILES.map((search) => rankMatches(search, LISTINGS, NOW));

  it("returns exactly the candidates, available ones only", () => {
    PROFILES.forEach((search, i) => {
      const ids = ranked[i]?.map((m) => m.listing.id).sort();
      expect(ids).toEqual(LISTINGS.filter((l) => isCandidate(search, l)).map((l) => l.id).sort());
      expect(ranked[i]?.every((m) => AVAILABLE_LISTING_STATUSES.includes(m.listing.status))).toBe(true);
    });
    // The generated data must leave real work to the filter and the sort.
    expect(ranked.filter((matches) => matches.length >= 5).length).toBeGreaterThan(50);
  });

  it("scores every match as a whole number within 0..100", () => {
    const bad = ranked.flat().filter((m) => !Number.isInteger(m.score) || m.score < 0 || m.score > 100);
    expect(bad).toEqual([]);
  });

  it("sorts by score, then newest, then id: a strict total order", () => {
    const outOfOrder = ranked.flatMap((matches) => matches.slice(1).filter((m, i) => documentedOrder(matches[i] as RankedMatch, m) >= 0));
    expect(outOfOrder).toEqual([]);
  });

  it("gives the same order whatever order the listings arrive in, and the same result every time", () => {
    PROFILES.slice(0, 60).forEach((search, i) => {
      const again = rankMatches(search, shuffled(LISTINGS, i + 1), new Date(NOW.getTime()));
      expect(again).toEqual(ranked[i]);
    });
  });

  it("says why: budget, bedrooms and area in every match's reasons", () => {
    const silent = PROFILES.flatMap((search, i) =>
      (ranked[i] ?? []).filter((m) => {
        const [price, bedrooms, area] = m.reasons;
        const budgetSaid = search.budgetMax === null ? price?.startsWith("Priced at $") : /budget|minimum/.test(price ?? "");
        return !budgetSaid || !/\d bedrooms?\b/.test(bedrooms ?? "") || area !== `In ${m.listing.area}`;
      }),
    );
    expect(silent).toEqual([]);
  });

  it("ranks a home higher the more of the budget it uses, and lower once it goes over", () => {
    const search = profile({ budgetMax: 400_000 });
    const scores = [380_000, 390_000, 400_000].map((price) => rankMatches(search, [listing({ price })], NOW)[0]?.score ?? -1);
    const over = rankMatches(search, [listing({ price: 410_000 })], NOW)[0]?.score ?? -1;
    expect(scores).toEqual([...scores].sort((a, b) => a - b));
    expect(over).toBeLessThan(scores[2] ?? 0);
  });
});

describe("rankMatches, hand-computed examples", () => {
  const search = profile({ budgetMax: 450_000, bedroomsMin: 3, areas: ["Round Rock"], propertyTypes: [PropertyType.TOWNHOUSE] });
  const townhouse = (overrides: Partial<Listing>): Listing => listing({ propertyType: PropertyType.TOWNHOUSE, ...overrides });

  it("scores and explains each part", () => {
    const matches = rankMatches(
      search,
      [
        // round(40 * 300/450) = 27, 5 bedrooms is 2 more: 15, area 20, type 10, 40 days old: 0 → 72.
        townhouse({ id: "c", price: 300_000, bedrooms: 5, listedAt: daysAgo(40) }),
        // 2% over: 15, 4 bedrooms is 1 more: 25, area 20, type 10, 20 days old: 3 → 73.
        townhouse({ id: "b", price: 460_000, bedrooms: 4, listedAt: daysAgo(20) }),
        // round(40 * 425/450) = 38, 3 bedrooms: 25, area 20, type 10, 5 days old: 5 → 98.
        townhouse({ id: "a", price: 425_000, bedrooms: 3, listedAt: daysAgo(5) }),
        townhouse({ id: "sold", status: ListingStatus.SOLD }),
        townhouse({ id: "elsewhere", area: "Hutto" }),
        listing({ id: "house" }),
      ],
      NOW,
    );
    expect(matches.map((m) => [m.listing.id, m.score, m.reasons])).toEqual([
      ["a", 98, ["Within budget ($425,000 of $450,000)", "3 bedrooms as asked", "In Round Rock", "A townhouse, as asked", "Listed 5 days ago"]],
      ["b", 73, ["$460,000 is 2% over budget", "4 bedrooms, 1 more than asked", "In Round Rock", "A townhouse, as asked", "Listed 20 days ago"]],
      ["c", 72, ["Within budget ($300,000 of $450,000)", "5 bedrooms, 2 more than asked", "In Round Rock", "A townhouse, as asked"]],
    ]);
  });

  it("marks coming-soon homes and cheap ones under the lead's minimum", () => {
    const [match] = rankMatches(
      profile({ budgetMin: 300_000, budgetMax: 400_000 }),
      [listing({ price: 200_000, bedrooms: 1, area: "Hutto", propertyType: PropertyType.CONDO, status: ListingStatus.COMING_SOON, listedAt: daysAgo(-3) })],
      NOW,
    );
    // round(40 * 200/400) = 20, no bedrooms asked 10, no area named 10, no type asked 5, dated ahead so fresh 5 → 50.
    expect(match?.score).toBe(50);
    expect(match?.reasons).toEqual(["$200,000, under the $300,000 minimum", "1 bedroom", "In Hutto", "A condo", "Coming soon"]);
  });

  it("still ranks every available listing for an empty search", () => {
    const listings = [
      listing({ id: "old", listedAt: daysAgo(90) }),
      listing({ id: "new", listedAt: daysAgo(0) }),
      listing({ id: "month", listedAt: daysAgo(30) }),
      listing({ id: "gone", status: ListingStatus.OFF_MARKET }),
      listing({ id: "pending", status: ListingStatus.PENDING }),
    ];
    const matches = rankMatches(profile(), listings, NOW);
    // 20 price + 10 bedrooms + 10 area + 5 type, plus freshness 5 / 3 / 0.
    expect(matches.map((m) => [m.listing.id, m.score])).toEqual([
      ["new", 50],
      ["month", 48],
      ["old", 45],
    ]);
    expect(matches[0]?.reasons).toEqual(["Priced at $425,000", "3 bedrooms", "In Round Rock", "A single-family home", "Listed today"]);
  });

  it("breaks ties by newest listing, then by id", () => {
    const sameDay = daysAgo(40);
    const matches = rankMatches(
      profile(),
      [listing({ id: "z", listedAt: sameDay }), listing({ id: "m", listedAt: daysAgo(50) }), listing({ id: "a", listedAt: sameDay })],
      NOW,
    );
    expect(matches.map((m) => m.listing.id)).toEqual(["a", "z", "m"]);
  });

  it("returns nothing when nothing is available", () => {
    expect(rankMatches(search, [], NOW)).toEqual([]);
    expect(rankMatches(profile(), [listing({ status: ListingStatus.SOLD })], NOW)).toEqual([]);
  });
});
