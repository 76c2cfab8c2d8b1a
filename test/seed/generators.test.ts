import { ListingStatus } from "../../subgraphs/intelligence/src/property/property.enums";
import { MessageChannel } from "../../subgraphs/intelligence/src/insight/insight.enums";
import { PropertyType } from "../../subgraphs/leads/src/lead/lead.enums";
import { AUSTIN_AREAS, AUSTIN_REGIONS, cityOfArea, findMarketArea } from "../../subgraphs/intelligence/src/market/austin-market";
import { generateLeads } from "../../scripts/seed/lead-generator";
import { generateInboundMessages } from "../../scripts/seed/message-generator";
import { generateListings, LISTING_WINDOW_DAYS, type SeedListing } from "../../scripts/seed/property-generator";

const NOW = new Date("2026-03-01T18:00:00Z");
const DAY = 86_400_000;
const COUNT = 2_400;

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
function areaMedian(area: string): number {
  const found = findMarketArea(area);
  if (!found) throw new Error(`listing in unknown area ${area}`);
  return found.medianListPrice;
}
const ofType = (listings: readonly SeedListing[], type: PropertyType): SeedListing[] => listings.filter((l) => l.propertyType === type);

describe("austin market", () => {
  it("names every area once and gives each a city", () => {
    expect(new Set(AUSTIN_AREAS).size).toBe(AUSTIN_AREAS.length);
    expect(AUSTIN_AREAS).toHaveLength(16);
    expect(cityOfArea("Hyde Park")).toBe("Austin");
    expect(cityOfArea("Round Rock")).toBe("Round Rock");
    expect(cityOfArea("Lakeway")).toBe("Lakeway");
    expect(() => cityOfArea("Houston")).toThrow(/unknown/);
  });
});

describe("generateListings", () => {
  const listings = generateListings("demo", COUNT, NOW);

  it("is deterministic per tenant, and a smaller count gives a prefix", () => {
    expect(generateListings("demo", COUNT, NOW)).toEqual(listings);
    expect(generateListings("demo", 100, NOW)).toEqual(listings.slice(0, 100));
    const other = generateListings("acme", COUNT, NOW);
    expect(other.map((l) => l.mlsNumber)).not.toEqual(listings.map((l) => l.mlsNumber));
  });

  it("generates the requested count", () => {
    expect(listings).toHaveLength(COUNT);
    expect(generateListings("demo", 0, NOW)).toEqual([]);
  });

  it("gives unique 7-digit MLS numbers and unique addresses", () => {
    expect(listings.every((l) => /^[1-9]\d{6}$/.test(l.mlsNumber))).toBe(true);
    expect(new Set(listings.map((l) => l.mlsNumber)).size).toBe(COUNT);
    expect(new Set(listings.map((l) => `${l.address}|${l.city}`)).size).toBe(COUNT);
    expect(listings.every((l) => /^\d+ \S.*\S$/.test(l.address))).toBe(true);
    for (const condo of ofType(listings, PropertyType.CONDO)) expect(condo.address).toMatch(/ Unit \w+$/);
  });

  it("uses every status with roughly its weight", () => {
    const expected: Record<ListingStatus, number> = { ACTIVE: 0.62, COMING_SOON: 0.06, PENDING: 0.14, SOLD: 0.14, OFF_MARKET: 0.04 };
    for (const status of Object.values(ListingStatus)) {
      const share = listings.filter((l) => l.status === status).length / COUNT;
      expect(Math.abs(share - expected[status])).toBeLessThan(0.03);
    }
  });

  it("uses every area of the market, with its city, in proportion to lead demand", () => {
    expect(new Set(listings.map((l) => l.area))).toEqual(new Set(AUSTIN_AREAS));
    expect(listings.filter((l) => l.city !== cityOfArea(l.area))).toEqual([]);
    const totalWeight = AUSTIN_REGIONS.reduce((sum, region) => sum + region.demandWeight, 0);
    for (const region of AUSTIN_REGIONS) {
      const names = new Set(region.areas.map((a) => a.name));
      const share = listings.filter((l) => names.has(l.area)).length / COUNT;
      expect(Math.abs(share - region.demandWeight / totalWeight)).toBeLessThan(0.04);
    }
  });

  it("prices listings around the area median, by type, rounded like real list prices", () => {
    // Filters rather than per-listing expects, so a failure names the offending listings.
    expect(listings.filter((l) => !(l.price / areaMedian(l.area) > 0.1 && l.price / areaMedian(l.area) < 4.5))).toEqual([]);
    expect(listings.filter((l) => !Number.isInteger(l.price) || !(l.price % 1000 === 0 || l.price % 10_000 === 9_900))).toEqual([]);
    const houses = ofType(listings, PropertyType.SINGLE_FAMILY);
    for (const area of AUSTIN_AREAS) {
      const inArea = houses.filter((l) => l.area === area);
      if (inArea.length < 15) continue; // Downtown has few houses: too few for a stable median.
      const ratio = median(inArea.map((l) => l.price)) / areaMedian(area);
      expect(ratio).toBeGreaterThan(0.8);
      expect(ratio).toBeLessThan(1.3);
    }
    const relative = (type: PropertyType): number => median(ofType(listings, type).map((l) => l.price / areaMedian(l.area)));
    const house = relative(PropertyType.SINGLE_FAMILY);
    expect(relative(PropertyType.CONDO)).toBeLessThan(house);
    expect(relative(PropertyType.LAND)).toBeLessThan(house);
    expect(relative(PropertyType.MANUFACTURED)).toBeLessThan(house);
    expect(relative(PropertyType.MULTI_FAMILY)).toBeGreaterThan(house);
  });

  it("keeps bedrooms, bathrooms and size consistent with the type", () => {
    const land = ofType(listings, PropertyType.LAND);
    expect(land.filter((l) => l.bedrooms !== 0 || l.bathrooms !== 0 || l.squareFeet !== 0)).toEqual([]);
    const condos = ofType(listings, PropertyType.CONDO);
    expect(condos.filter((l) => l.bedrooms < 1 || l.bedrooms > 3)).toEqual([]);
    const buildings = listings.filter((l) => l.propertyType !== PropertyType.LAND);
    expect(buildings.filter((l) => !Number.isInteger(l.bedrooms) || l.bedrooms < 1 || l.bedrooms > 6)).toEqual([]);
    expect(buildings.filter((l) => !Number.isInteger(l.bathrooms * 2) || l.bathrooms < 1 || l.bathrooms > l.bedrooms + 1)).toEqual([]);
    expect(buildings.filter((l) => !Number.isInteger(l.squareFeet) || l.squareFeet < 400 || l.squareFeet > 7_000)).toEqual([]);
    for (const type of Object.values(PropertyType)) expect(ofType(listings, type).length).toBeGreaterThan(0);
    // More bedrooms, more house: the mean size and bath count rise with each bedroom.
    const houses = ofType(listings, PropertyType.SINGLE_FAMILY);
    const mean = (beds: number, pick: (l: SeedListing) => number): number => {
      const xs = houses.filter((l) => l.bedrooms === beds).map(pick);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    for (let beds = 2; beds <= 6; beds++) {
      expect(mean(beds, (l) => l.squareFeet)).toBeGreaterThan(mean(beds - 1, (l) => l.squareFeet));
      expect(mean(beds, (l) => l.bathrooms)).toBeGreaterThan(mean(beds - 1, (l) => l.bathrooms));
    }
  });

  it("lists everything within the window before now", () => {
    const oldest = NOW.getTime() - LISTING_WINDOW_DAYS * DAY;
    expect(listings.filter((l) => l.listedAt.getTime() < oldest || l.listedAt.getTime() >= NOW.getTime())).toEqual([]);
    const ages = listings.map((l) => (NOW.getTime() - l.listedAt.getTime()) / DAY);
    expect(Math.max(...ages)).toBeGreaterThan(LISTING_WINDOW_DAYS - 10);
    expect(Math.min(...ages)).toBeLessThan(2);
  });
});

describe("generateInboundMessages", () => {
  const leads = generateLeads("demo", 320, NOW);
  const conversations = leads.map((lead, i) => generateInboundMessages(lead, i, "demo", NOW));
  const all = conversations.flat();

  it("is deterministic per tenant and lead index", () => {
    leads.forEach((lead, i) => expect(generateInboundMessages(lead, i, "demo", NOW)).toEqual(conversations[i]));
    const elsewhere = leads.map((lead, i) => generateInboundMessages(lead, i, "acme", NOW));
    expect(elsewhere).not.toEqual(conversations);
  });

  it("sends 0 to 3 messages per lead, all after the lead came in and before now, in order", () => {
    const counts = new Set(conversations.map((c) => c.length));
    expect(counts).toEqual(new Set([0, 1, 2, 3]));
    conversations.forEach((messages, i) => {
      const created = leads[i]?.createdAt.getTime() ?? Number.NaN;
      let previous = created;
      for (const m of messages) {
        expect(m.receivedAt.getTime()).toBeGreaterThan(created);
        expect(m.receivedAt.getTime()).toBeLessThan(NOW.getTime());
        expect(m.receivedAt.getTime()).toBeGreaterThanOrEqual(previous);
        previous = m.receivedAt.getTime();
      }
    });
  });

  it("sends nothing for a lead created at or after now", () => {
    const lead = { firstName: "Ana", preferredAreas: ["Kyle"], budgetMax: 400_000, bedroomsMin: 3, timeline: "IMMEDIATE", createdAt: NOW };
    for (let i = 0; i < 50; i++) expect(generateInboundMessages(lead, i, "demo", NOW)).toEqual([]);
  });

  it("reads like buyers: areas, budgets, bedrooms, questions and the odd opt-out", () => {
    const channels = new Set(Object.values(MessageChannel));
    for (const m of all) {
      expect(channels.has(m.channel)).toBe(true);
      expect(m.body.trim().length).toBeGreaterThan(0);
    }
    const mentionsOwnArea = conversations.filter((messages, i) => messages.some((m) => leads[i]?.preferredAreas.some((a) => m.body.includes(a))));
    expect(mentionsOwnArea.length).toBeGreaterThan(conversations.filter((c) => c.length > 0).length / 2);
    const bodies = all.map((m) => m.body);
    expect(bodies.some((b) => /\$\d+k\b/.test(b))).toBe(true);
    expect(bodies.some((b) => /\d\+? bed/.test(b))).toBe(true);
    expect(bodies.some((b) => /HOA/.test(b))).toBe(true);
    expect(bodies.some((b) => /ISD|schools/.test(b))).toBe(true);
    expect(bodies.some((b) => /^STOP$|stop (texting|messaging|calling)|remove me|take me off/i.test(b))).toBe(true);
    expect(new Set(all.map((m) => m.channel)).size).toBeGreaterThanOrEqual(4);
  });
});
