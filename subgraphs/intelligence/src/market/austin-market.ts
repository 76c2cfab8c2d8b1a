/** One area of the Austin market, as leads name it in their preferred areas. */
export interface MarketArea {
  /** The name leads, listings and messages use (e.g. "Round Rock", "Mueller"). */
  readonly name: string;
  /** The city a listing in this area is addressed to (neighborhoods of Austin give "Austin"). */
  readonly city: string;
  /** Rough median list price of a typical single-family home, whole dollars. */
  readonly medianListPrice: number;
  /** The ISD most of the area is zoned to; buyers ask about it by name. */
  readonly schoolDistrict: string;
}

/** Areas a buyer treats as one search: a lead's preferred areas usually come from a single region. */
export interface MarketRegion {
  readonly name: string;
  /** Relative share of buyer demand; seeded leads (and so seeded listings) follow it. */
  readonly demandWeight: number;
  readonly areas: readonly MarketArea[];
}

const area = (name: string, city: string, medianListPrice: number, schoolDistrict: string): MarketArea => ({ name, city, medianListPrice, schoolDistrict });

/**
 * The Austin metro by region. Order matters: the lead generator draws from these lists by
 * position, so reordering areas or regions changes every seeded tenant's leads.
 */
export const AUSTIN_REGIONS: readonly MarketRegion[] = [
  { name: "Central Austin", demandWeight: 30, areas: [
    area("Downtown Austin", "Austin", 650e3, "Austin ISD"),
    area("East Austin", "Austin", 600e3, "Austin ISD"),
    area("South Congress", "Austin", 750e3, "Austin ISD"),
    area("Mueller", "Austin", 700e3, "Austin ISD"),
    area("Hyde Park", "Austin", 750e3, "Austin ISD"),
  ] },
  { name: "North suburbs", demandWeight: 35, areas: [
    area("Round Rock", "Round Rock", 420e3, "Round Rock ISD"),
    area("Cedar Park", "Cedar Park", 480e3, "Leander ISD"),
    area("Pflugerville", "Pflugerville", 390e3, "Pflugerville ISD"),
    area("Georgetown", "Georgetown", 430e3, "Georgetown ISD"),
    area("Leander", "Leander", 450e3, "Leander ISD"),
  ] },
  { name: "Lake Travis and Hill Country", demandWeight: 15, areas: [
    area("Lakeway", "Lakeway", 900e3, "Lake Travis ISD"),
    area("Bee Cave", "Bee Cave", 950e3, "Lake Travis ISD"),
    area("Dripping Springs", "Dripping Springs", 750e3, "Dripping Springs ISD"),
  ] },
  { name: "South and east suburbs", demandWeight: 20, areas: [
    area("Kyle", "Kyle", 340e3, "Hays CISD"),
    area("Buda", "Buda", 370e3, "Hays CISD"),
    area("Manor", "Manor", 320e3, "Manor ISD"),
  ] },
];

/** Every area of the market, in region order. */
export const AUSTIN_MARKET_AREAS: readonly MarketArea[] = AUSTIN_REGIONS.flatMap((region) => region.areas);

/** The name of every area of the market, in region order. */
export const AUSTIN_AREAS: readonly string[] = AUSTIN_MARKET_AREAS.map((a) => a.name);

const BY_NAME: ReadonlyMap<string, MarketArea> = new Map(AUSTIN_MARKET_AREAS.map((a) => [a.name, a]));

/** The area called `name`, or undefined when the market has no such area. */
export function findMarketArea(name: string): MarketArea | undefined {
  return BY_NAME.get(name);
}

/** The city of area `name` (e.g. "Hyde Park" gives "Austin"); throws for an area the market does not know. */
export function cityOfArea(name: string): string {
  const found = BY_NAME.get(name);
  if (!found) throw new Error(`unknown Austin area ${JSON.stringify(name)}`);
  return found.city;
}
