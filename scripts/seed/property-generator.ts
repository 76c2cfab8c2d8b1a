import type { Listing } from "../../subgraphs/intelligence/src/match/match.model";
import { ListingStatus } from "../../subgraphs/intelligence/src/property/property.enums";
import { PropertyType } from "../../subgraphs/leads/src/lead/lead.enums";
import { AUSTIN_REGIONS, type MarketArea } from "../../subgraphs/intelligence/src/market/austin-market";
import { makeRand, type Rand, type Weighted } from "./random";

/**
 * A generated MLS listing: a listing as matching reads it, before it has an id. MLS numbers
 * are 7-digit ACTOR (Austin MLS) numbers, unique within the tenant; land has 0 bedrooms,
 * bathrooms and living area.
 */
export type SeedListing = Omit<Listing, "id">;

/** How far back `listedAt` goes: every generated listing was listed within this many days before `now`. */
export const LISTING_WINDOW_DAYS = 120;

const DAY = 86_400_000;
const { SINGLE_FAMILY, CONDO, TOWNHOUSE, MULTI_FAMILY, LAND, MANUFACTURED } = PropertyType;

// Supply follows demand: each region gets the share of listings that seeded leads ask for, split evenly over its areas.
const AREAS: Weighted<MarketArea> = AUSTIN_REGIONS.flatMap((region) => region.areas.map((a) => [a, region.demandWeight / region.areas.length] as const));

const STATUSES: Weighted<ListingStatus> = [
  [ListingStatus.ACTIVE, 62], [ListingStatus.COMING_SOON, 6], [ListingStatus.PENDING, 14], [ListingStatus.SOLD, 14], [ListingStatus.OFF_MARKET, 4],
];
// Days between listing and `now`, by status, so a sold home has had time to go pending and close and a coming-soon one is fresh.
// `skew` > 1 bunches ages toward the recent end, as active inventory turns over (Austin's median days on market is ~40).
const LISTED_AGO: Record<ListingStatus, { days: readonly [number, number]; skew: number }> = {
  ACTIVE: { days: [0, LISTING_WINDOW_DAYS], skew: 1.6 },
  COMING_SOON: { days: [0, 14], skew: 1 },
  PENDING: { days: [7, LISTING_WINDOW_DAYS], skew: 1.2 },
  SOLD: { days: [35, LISTING_WINDOW_DAYS], skew: 1 },
  OFF_MARKET: { days: [30, LISTING_WINDOW_DAYS], skew: 1 },
};

// Condos and townhouses cluster in the urban core; land and manufactured homes sit at the edges of the metro.
const URBAN_TYPES: Weighted<PropertyType> = [[SINGLE_FAMILY, 46], [CONDO, 30], [TOWNHOUSE, 16], [MULTI_FAMILY, 6], [LAND, 1], [MANUFACTURED, 1]];
const SUBURBAN_TYPES: Weighted<PropertyType> = [[SINGLE_FAMILY, 74], [CONDO, 3], [TOWNHOUSE, 9], [MULTI_FAMILY, 3], [LAND, 7], [MANUFACTURED, 4]];
// Downtown is towers: the few houses left are in the edges of the district.
const DOWNTOWN_TYPES: Weighted<PropertyType> = [[SINGLE_FAMILY, 12], [CONDO, 74], [TOWNHOUSE, 9], [MULTI_FAMILY, 5]];
const typesIn = (area: MarketArea): Weighted<PropertyType> => (area.name === "Downtown Austin" ? DOWNTOWN_TYPES : area.city === "Austin" ? URBAN_TYPES : SUBURBAN_TYPES);

interface TypeShape {
  bedrooms: Weighted<number>;
  /** Living area is `base + perBedroom * bedrooms`, before noise. */
  sqft: { base: number; perBedroom: number };
  /** Price per unit of size relative to a single-family home in the same area. */
  priceFactor: number;
}
const SHAPES: Record<Exclude<PropertyType, PropertyType.LAND>, TypeShape> = {
  SINGLE_FAMILY: { bedrooms: [[1, 2], [2, 11], [3, 42], [4, 31], [5, 10], [6, 4]], sqft: { base: 450, perBedroom: 520 }, priceFactor: 1 },
  CONDO: { bedrooms: [[1, 38], [2, 46], [3, 16]], sqft: { base: 330, perBedroom: 420 }, priceFactor: 1.1 },
  TOWNHOUSE: { bedrooms: [[2, 32], [3, 50], [4, 18]], sqft: { base: 520, perBedroom: 400 }, priceFactor: 0.92 },
  // Bedrooms are the building's total: a duplex of 2/1s has 4.
  MULTI_FAMILY: { bedrooms: [[2, 6], [3, 10], [4, 40], [5, 14], [6, 30]], sqft: { base: 420, perBedroom: 480 }, priceFactor: 1.2 },
  MANUFACTURED: { bedrooms: [[2, 22], [3, 58], [4, 20]], sqft: { base: 420, perBedroom: 400 }, priceFactor: 0.55 },
};
// The size at which a single-family home lists at about the area median: the typical 3-4 bed house,
// a little above the bedroom mix's mean because charm pricing rounds up.
const REFERENCE_SQFT = 2_150;
// Price grows slower than size: the lot and location are a fixed share of the value.
const SIZE_ELASTICITY = 0.8;
const PRICE_SPREAD = 0.2;
const LAND_PRICE_FACTOR = 0.38;
const LAND_PRICE_SPREAD = 0.45;

// Real streets, with the block numbers they actually run through, so core addresses look local.
const CORE_STREETS: Readonly<Record<string, { streets: readonly string[]; numbers: readonly [number, number] }>> = {
  "Downtown Austin": { numbers: [100, 1500], streets: ["Congress Ave", "Lavaca St", "Colorado St", "Brazos St", "San Jacinto Blvd", "Nueces St", "Rio Grande St", "W 5th St", "W 6th St", "E 3rd St", "W 2nd St", "Sabine St", "Red River St", "Guadalupe St", "Bowie St", "West Ave", "Rainey St", "Davis St"] },
  "East Austin": { numbers: [1000, 3300], streets: ["E 6th St", "E 7th St", "E 11th St", "E 12th St", "Rosewood Ave", "Chicon St", "Comal St", "Navasota St", "Waller St", "Salina St", "Cotton St", "Holly St", "Canterbury St", "E Cesar Chavez St", "Webberville Rd", "Tillery St", "Gunter St", "Pedernales St"] },
  "South Congress": { numbers: [100, 2900], streets: ["S Congress Ave", "S 1st St", "E Monroe St", "W Mary St", "Academy Dr", "Travis Heights Blvd", "Eastside Dr", "Newning Ave", "Kenwood Ave", "E Annie St", "W Johanna St", "E Live Oak St", "Alta Vista Ave", "Bouldin Ave", "W Oltorf St"] },
  Mueller: { numbers: [1800, 4800], streets: ["Aldrich St", "Berkman Dr", "Philomena St", "Mueller Blvd", "Simond Ave", "Zach Scott St", "Antone St", "Camacho St", "Tilley St", "Vaughan St", "Lancaster St", "Barbara Jordan Blvd", "Hogg Ave", "Sorin St", "Wilhelmina Delco Dr"] },
  "Hyde Park": { numbers: [3800, 4700], streets: ["Avenue A", "Avenue B", "Avenue C", "Avenue D", "Avenue F", "Avenue G", "Avenue H", "Speedway", "Duval St", "E 38th St", "E 41st St", "E 43rd St", "W 45th St", "Red River St", "Peck Ave", "Ramsey Ave"] },
};
// Downtown condos are mostly in a handful of towers.
const CONDO_TOWERS: readonly string[] = ["200 Congress Ave", "360 Nueces St", "300 Bowie St", "311 Bowie St", "603 Davis St", "70 Rainey St", "44 East Ave", "222 West Ave", "555 E 5th St", "98 San Jacinto Blvd"];
// Suburban subdivisions name their streets from the same Hill Country vocabulary.
const STREET_WORDS: readonly string[] = [
  "Bluebonnet", "Live Oak", "Cedar Elm", "Pecan", "Mesquite", "Limestone", "Agave", "Lantana", "Sendero", "Hill Country", "Brushy Creek", "Shady Oak",
  "Redbud", "Mockingbird", "Paintbrush", "Prickly Pear", "Canyon Rim", "Saddle Ridge", "Spur", "Wildflower", "Vista Ridge", "Falcon", "Granite", "Windmill",
  "Cypress", "Heron", "Meadowlark", "Chisholm", "Caliche", "Juniper", "Arroyo", "Escarpment", "Sycamore", "Whitetail", "Armadillo", "Dove Hollow",
  "Creekside", "Sunset Ridge", "Sage", "Longhorn", "Pedernales", "San Gabriel", "Blanco", "Onion Creek", "Bee Creek", "Gregg", "Pinnacle", "Rolling Hills",
  "Quarry", "Star Ranch", "Ranch House", "Wagon Wheel", "Twin Creeks", "Crystal Falls", "Hidden Valley", "Old Mill", "Lone Star", "Texas Star", "Yaupon",
];
const STREET_SUFFIXES: Weighted<string> = [["Dr", 22], ["Ln", 14], ["Cv", 12], ["Trl", 10], ["Way", 9], ["Ct", 7], ["Loop", 6], ["Pass", 5], ["Rd", 5], ["Pl", 3], ["Path", 3], ["Bnd", 2], ["Xing", 1], ["Pkwy", 1]];
const SUBURBAN_NUMBERS: Weighted<readonly [number, number]> = [[[100, 999], 15], [[1000, 4999], 60], [[5000, 9999], 15], [[10000, 21000], 10]];

/** A standard normal draw, clamped so a rare tail cannot produce a $40k mansion. */
function normal(r: Rand): number {
  const z = Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
  return Math.max(-2.5, Math.min(2.5, z));
}

/** Rounds to a price an agent would list at: "charm" prices ending in 9,900 or round thousands. */
function listPrice(r: Rand, raw: number): number {
  const step = raw >= 1_000_000 ? 50_000 : 10_000;
  if (r.chance(raw >= 1_000_000 ? 0.4 : 0.55)) return Math.ceil(raw / step) * step - 100;
  const unit = raw >= 1_000_000 || r.chance(0.6) ? 5_000 : 1_000;
  return Math.max(unit, Math.round(raw / unit) * unit);
}

function bathrooms(r: Rand, type: PropertyType, bedrooms: number): number {
  if (type === LAND) return 0;
  // Multi-family baths follow the units (about one per two bedrooms), not the bedroom count.
  if (type === MULTI_FAMILY) return Math.max(2, Math.ceil(bedrooms / 2)) + (bedrooms >= 4 ? r.weighted([[0, 55], [0.5, 15], [1, 30]]) : 0);
  if (bedrooms === 1) return r.weighted([[1, 85], [1.5, 15]]);
  const base = bedrooms <= 3 ? bedrooms - 1 : bedrooms / 2 + 0.5;
  return base + r.weighted([[0, 35], [0.5, 35], [1, 25], [1.5, 5]]);
}

function streetAddress(r: Rand, area: MarketArea, type: PropertyType): string {
  if (type === CONDO && area.name === "Downtown Austin" && r.chance(0.85)) {
    return `${r.pick(CONDO_TOWERS)} Unit ${r.int(2, 45)}${String(r.int(1, 12)).padStart(2, "0")}`;
  }
  const core = CORE_STREETS[area.name];
  const street = core ? `${r.int(...core.numbers)} ${r.pick(core.streets)}` : `${r.int(...r.weighted(SUBURBAN_NUMBERS))} ${r.pick(STREET_WORDS)} ${r.weighted(STREET_SUFFIXES)}`;
  if (type === CONDO) return `${street} Unit ${r.chance(0.5) ? `${r.int(1, 4)}${r.pick([..."ABCDEF"])}` : `${r.int(1, 4)}${String(r.int(1, 24)).padStart(2, "0")}`}`;
  if (type === TOWNHOUSE && r.chance(0.35)) return `${street} Unit ${r.int(1, 40)}`;
  return street;
}

/**
 * Generates `count` realistic Austin-metro MLS listings for `tenant`, deterministic for the same
 * arguments. Randomness is seeded from the tenant only, so a smaller `count` yields a prefix of a
 * larger one. Listings are spread over the market's areas in proportion to buyer demand, priced
 * around each area's median by type and size, and listed within {@link LISTING_WINDOW_DAYS} before `now`.
 * MLS numbers and addresses are unique within the tenant.
 */
export function generateListings(tenant: string, count: number, now: Date): SeedListing[] {
  const r = makeRand(`property-generator:${tenant}`);
  const mlsNumbers = new Set<string>(), addresses = new Set<string>();
  const listings: SeedListing[] = [];
  for (let n = 0; n < count; n++) {
    let mlsNumber: string;
    do mlsNumber = String(r.int(1_000_000, 9_999_999)); while (mlsNumbers.has(mlsNumber));
    mlsNumbers.add(mlsNumber);

    const area = r.weighted(AREAS);
    const propertyType = r.weighted(typesIn(area));
    let address: string;
    do address = streetAddress(r, area, propertyType); while (addresses.has(`${address}|${area.city}`));
    addresses.add(`${address}|${area.city}`);

    let bedrooms = 0, baths = 0, squareFeet = 0, raw: number;
    if (propertyType === LAND) {
      raw = area.medianListPrice * LAND_PRICE_FACTOR * Math.exp(LAND_PRICE_SPREAD * normal(r));
    } else {
      const shape = SHAPES[propertyType];
      bedrooms = r.weighted(shape.bedrooms);
      baths = bathrooms(r, propertyType, bedrooms);
      squareFeet = Math.round((shape.sqft.base + shape.sqft.perBedroom * bedrooms) * Math.exp(0.13 * normal(r)));
      raw = area.medianListPrice * shape.priceFactor * (squareFeet / REFERENCE_SQFT) ** SIZE_ELASTICITY * Math.exp(PRICE_SPREAD * normal(r));
    }
    const price = listPrice(r, raw);

    const status = r.weighted(STATUSES);
    const { days: [lo, hi], skew } = LISTED_AGO[status];
    // At least ten minutes old, so nothing is listed "now" exactly; whole seconds, as the MLS feed reports.
    const agoMs = Math.max(600_000, Math.round(((lo + (hi - lo) * r.next() ** skew) * DAY) / 1000) * 1000);

    listings.push({
      mlsNumber, address, city: area.city, area: area.name, price, bedrooms, bathrooms: baths, squareFeet, propertyType, status,
      listedAt: new Date(now.getTime() - agoMs),
    });
  }
  return listings;
}
