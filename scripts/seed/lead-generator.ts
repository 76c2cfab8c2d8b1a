import { BuyingTimeline, FinancingStatus, LeadSource, LeadStatus, PropertyType } from "../../subgraphs/leads/src/lead/lead.enums";
import { AUSTIN_MARKET_AREAS, AUSTIN_REGIONS, type MarketArea } from "../../subgraphs/intelligence/src/market/austin-market";
import { makeRand, type Rand, type Weighted } from "./random";

/** A generated note on a seed lead. */
export interface SeedNote { body: string; author: string; createdAt: Date }

/** A generated lead, shaped like a row of the leads table (camelCase). */
export interface SeedLead {
  ghlContactId: string;
  firstName: string; lastName: string;
  email: string | null;
  phone: string | null;
  source: LeadSource; status: LeadStatus;
  tags: string[];
  budgetMin: number | null; budgetMax: number | null;
  timeline: BuyingTimeline; financing: FinancingStatus;
  propertyTypes: PropertyType[];
  preferredAreas: string[];
  bedroomsMin: number | null;
  assignedTo: string | null;
  doNotContact: boolean;
  createdAt: Date;
  updatedAt: Date;
  notes: SeedNote[];
}

const DAY = 86_400_000;
const { UNDER_CONTRACT, CLOSED_WON, CLOSED_LOST } = LeadStatus;
const { IMMEDIATE, WITHIN_3_MONTHS, WITHIN_6_MONTHS, WITHIN_12_MONTHS, JUST_BROWSING } = BuyingTimeline;
const { CASH, PRE_APPROVED, PRE_QUALIFIED, NOT_STARTED } = FinancingStatus;

// Names are grouped by origin so first and last names usually match, as they do in a real Austin CRM.
const NAME_GROUPS: ReadonlyArray<{ weight: number; spanish: boolean; first: readonly string[]; last: readonly string[] }> = [
  { weight: 42, spanish: false, first: ["James", "Michael", "David", "John", "Robert", "William", "Matthew", "Ryan", "Tyler", "Brandon", "Travis", "Cody", "Dustin", "Chris", "Emily", "Sarah", "Jessica", "Ashley", "Megan", "Lauren", "Hannah", "Madison", "Olivia", "Emma", "Katie", "Jennifer", "Amanda", "Heather"],
    last: ["Smith", "Johnson", "Williams", "Brown", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Thompson", "White", "Harris", "Clark", "Walker", "Hall", "Allen", "Young", "King", "Wright", "Baker", "Carter", "Campbell", "O'Brien", "McAllister", "Sullivan"] },
  { weight: 30, spanish: true, first: ["José", "Juan", "Carlos", "Luis", "Miguel", "Alejandro", "Diego", "Javier", "Ricardo", "María", "Sofía", "Gabriela", "Valeria", "Ana", "Lucía", "Camila", "Adriana", "Elena"],
    last: ["Garcia", "Martinez", "Rodriguez", "Hernandez", "Lopez", "Gonzalez", "Perez", "Sanchez", "Ramirez", "Torres", "Flores", "Rivera", "Gomez", "Diaz", "Reyes", "Cruz", "Gutierrez", "Castillo", "Vasquez", "Salinas"] },
  { weight: 11, spanish: false, first: ["Wei", "Jun", "Mei", "Hana", "Minh", "Linh", "Kenji", "Yuki", "Ji-woo", "Soo-jin", "Thanh", "Jenny", "Kevin"],
    last: ["Nguyen", "Tran", "Le", "Pham", "Chen", "Wang", "Zhang", "Liu", "Kim", "Park", "Lee", "Tanaka", "Huang", "Wu"] },
  { weight: 9, spanish: false, first: ["Jamal", "DeShawn", "Marcus", "Andre", "Darius", "Malik", "Terrence", "Keisha", "Aaliyah", "Imani", "Jasmine", "Tiana", "Ebony"],
    last: ["Washington", "Jackson", "Robinson", "Jefferson", "Banks", "Coleman", "Freeman", "Gaines", "Brooks"] },
  { weight: 8, spanish: false, first: ["Arjun", "Rohan", "Vikram", "Rahul", "Aditya", "Sanjay", "Ravi", "Priya", "Ananya", "Deepa", "Kavya", "Neha"],
    last: ["Patel", "Shah", "Sharma", "Gupta", "Singh", "Kumar", "Reddy", "Iyer", "Desai", "Mehta", "Rao", "Krishnan"] },
];
const ALL_LAST = NAME_GROUPS.flatMap((g) => g.last);
const AGENTS = ["Sarah Mitchell", "Marcus Johnson", "Priya Raman", "Diego Hernandez", "Emily Chen", "Jake Thompson", "Rachel Nguyen", "Carlos Mendoza", "Lauren Brooks", "Andre Williams", "Megan O'Connor", "Kevin Patel", "Brittany Cole", "Tyler Reyes", "Hannah Kim", "Jordan Ellis"];
// Regions keep a lead's areas geographically coherent.
const REGIONS: Weighted<readonly MarketArea[]> = AUSTIN_REGIONS.map((region) => [region.areas, region.demandWeight] as const);
const DOMAINS: Weighted<string> = [["gmail.com", 45], ["yahoo.com", 12], ["outlook.com", 10], ["icloud.com", 12], ["hotmail.com", 6], ["att.net", 3], ["utexas.edu", 2], ["dell.com", 2], ["apple.com", 2], ["tesla.com", 2], ["indeed.com", 1]];
const PERSONAL_DOMAINS = new Set(["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "att.net"]);
const SOURCES: Weighted<LeadSource> = [[LeadSource.ZILLOW, 22], [LeadSource.WEBSITE, 16], [LeadSource.REALTOR_COM, 12], [LeadSource.FACEBOOK, 12], [LeadSource.GOOGLE_ADS, 9], [LeadSource.REFERRAL, 10], [LeadSource.OPEN_HOUSE, 7], [LeadSource.SIGN_CALL, 4], [LeadSource.GHL_IMPORT, 6], [LeadSource.OTHER, 2]];
const SOURCE_LABEL: Record<LeadSource, string> = { WEBSITE: "our website", ZILLOW: "Zillow", REALTOR_COM: "Realtor.com", FACEBOOK: "a Facebook ad", GOOGLE_ADS: "a Google ad", REFERRAL: "a past-client referral", OPEN_HOUSE: "an open house", SIGN_CALL: "a yard-sign call", GHL_IMPORT: "the old CRM", OTHER: "a phone call" };
const PROPERTY_TYPES: Weighted<PropertyType> = [[PropertyType.SINGLE_FAMILY, 65], [PropertyType.CONDO, 12], [PropertyType.TOWNHOUSE, 12], [PropertyType.MULTI_FAMILY, 5], [PropertyType.LAND, 3], [PropertyType.MANUFACTURED, 3]];
const EXTRA_TAGS = ["first-time-buyer", "relocation", "veteran", "downsizing", "upsizing", "new-construction", "pool", "school-district", "remote-worker", "follow-up", "acreage"];
const TAG_CONFLICTS: ReadonlyArray<readonly [string, string]> = [["first-time-buyer", "downsizing"], ["first-time-buyer", "upsizing"], ["downsizing", "upsizing"]];
const LENDERS = ["Amerisave", "UFCU", "Amplify Credit Union", "PrimeLending", "Rocket Mortgage", "Chase", "Guild Mortgage", "Navy Federal"];
const WANTS = ["wants a yard for the dog", "needs a home office", "wants a short commute to the Domain", "needs a good school district", "wants a single-story", "wants a garage for the boat", "no HOA if possible"];

// Mixes of timeline and financing by how far down the funnel a lead is, so closed leads look closable.
const TL_EARLY: Weighted<BuyingTimeline> = [[IMMEDIATE, 8], [WITHIN_3_MONTHS, 18], [WITHIN_6_MONTHS, 20], [WITHIN_12_MONTHS, 14], [JUST_BROWSING, 14], [BuyingTimeline.UNKNOWN, 26]];
const TL_MID: Weighted<BuyingTimeline> = [[IMMEDIATE, 20], [WITHIN_3_MONTHS, 40], [WITHIN_6_MONTHS, 25], [WITHIN_12_MONTHS, 10], [BuyingTimeline.UNKNOWN, 5]];
const TL_LATE: Weighted<BuyingTimeline> = [[IMMEDIATE, 55], [WITHIN_3_MONTHS, 45]];
const TL_LOST: Weighted<BuyingTimeline> = [[IMMEDIATE, 5], [WITHIN_3_MONTHS, 15], [WITHIN_6_MONTHS, 20], [WITHIN_12_MONTHS, 20], [JUST_BROWSING, 25], [BuyingTimeline.UNKNOWN, 15]];
const FIN_EARLY: Weighted<FinancingStatus> = [[CASH, 5], [PRE_APPROVED, 12], [PRE_QUALIFIED, 15], [NOT_STARTED, 28], [FinancingStatus.UNKNOWN, 40]];
const FIN_MID: Weighted<FinancingStatus> = [[CASH, 12], [PRE_APPROVED, 45], [PRE_QUALIFIED, 30], [NOT_STARTED, 13]];
const FIN_LATE: Weighted<FinancingStatus> = [[CASH, 25], [PRE_APPROVED, 75]];
const FIN_LOST: Weighted<FinancingStatus> = [[CASH, 4], [PRE_APPROVED, 10], [PRE_QUALIFIED, 16], [NOT_STARTED, 35], [FinancingStatus.UNKNOWN, 35]];

interface Stage {
  weight: number; ageDays: readonly [number, number]; touched: readonly [number, number]; notes: readonly [number, number];
  unassigned: number; noBudget: number; timeline: Weighted<BuyingTimeline>; financing: Weighted<FinancingStatus>; closing: readonly string[];
}
// Age bounds keep e.g. a closing from happening two days after the first inquiry; `touched` is the share of the lead's life until its last update.
const STAGES: Record<LeadStatus, Stage> = {
  NEW: { weight: 28, ageDays: [0, 60], touched: [0, 0.2], notes: [0, 1], unassigned: 0.4, noBudget: 0.3, timeline: TL_EARLY, financing: FIN_EARLY, closing: [] },
  CONTACTED: { weight: 24, ageDays: [1, 120], touched: [0.1, 0.7], notes: [1, 2], unassigned: 0.05, noBudget: 0.15, timeline: TL_EARLY, financing: FIN_EARLY, closing: [] },
  QUALIFIED: { weight: 14, ageDays: [3, 150], touched: [0.3, 1], notes: [1, 3], unassigned: 0, noBudget: 0.04, timeline: TL_MID, financing: FIN_MID, closing: [] },
  APPOINTMENT_SET: { weight: 10, ageDays: [5, 160], touched: [0.4, 1], notes: [2, 3], unassigned: 0, noBudget: 0.04, timeline: TL_MID, financing: FIN_MID,
    closing: ["Showing tour set for Saturday morning: 4 homes in {area}.", "Booked a buyer consult at the office Tuesday 6pm; bringing the spouse."] },
  UNDER_CONTRACT: { weight: 6, ageDays: [20, 175], touched: [0.6, 1], notes: [2, 4], unassigned: 0, noBudget: 0, timeline: TL_LATE, financing: FIN_LATE,
    closing: ["Offer accepted in {area}! Option period ends Friday, inspection scheduled.", "Under contract in {area}; appraisal ordered, title at Independence Title."] },
  CLOSED_WON: { weight: 6, ageDays: [45, 180], touched: [0.6, 1], notes: [3, 4], unassigned: 0, noBudget: 0, timeline: TL_LATE, financing: FIN_LATE,
    closing: ["Closed and funded! Dropped off a closing gift, asked for a Google review.", "Keys handed over in {area}. Add to past-client drip for the one-year check-in."] },
  CLOSED_LOST: { weight: 12, ageDays: [10, 180], touched: [0.4, 1], notes: [1, 3], unassigned: 0, noBudget: 0.2, timeline: TL_LOST, financing: FIN_LOST,
    closing: ["Went with a friend who just got licensed.", "Decided to renew their lease for another year; rates too high.", "Stopped responding after two showings. Moving to long-term nurture."] },
};
const STATUSES: Weighted<LeadStatus> = Object.values(LeadStatus).map((s) => [s, STAGES[s].weight] as const);

interface NoteCtx { first: string; area: string; budget: string | null; beds: number | null; lead: Pick<SeedLead, "source" | "financing" | "tags" | "propertyTypes"> }
const introNote = (c: NoteCtx): string => `Came in via ${SOURCE_LABEL[c.lead.source]} asking about a ${c.lead.propertyTypes[0] === PropertyType.CONDO ? "condo" : "home"} in ${c.area}.`;
// Each template returns null when it would contradict the lead (e.g. a pre-approval note on a cash buyer).
const NOTE_TEMPLATES: ReadonlyArray<(c: NoteCtx, r: Rand) => string | null> = [
  (c, r) => c.lead.financing === PRE_APPROVED ? `Pre-approved with ${r.pick(LENDERS)}${c.budget ? ` up to ${c.budget}` : ""}, ${r.pick(WANTS)}.` : null,
  (c, r) => c.lead.financing === PRE_QUALIFIED ? `Pre-qualified with ${r.pick(LENDERS)}; full approval waiting on pay stubs and W-2s.` : null,
  (c, r) => c.lead.financing === NOT_STARTED ? `Hasn't talked to a lender yet. Sent an intro to our contact at ${r.pick(LENDERS)}.` : null,
  (c, r) => c.lead.financing === CASH ? `Cash buyer, proof of funds received. ${r.pick(WANTS).replace(/^./, (ch) => ch.toUpperCase())}.` : null,
  (c) => c.beds === null ? null : `Spoke with ${c.first} for 15 min. Focused on ${c.area}, ${c.beds}+ bedrooms${c.budget ? `, max ${c.budget}` : ""}.`,
  () => "Left a voicemail and sent a follow-up text.",
  (_c, r) => `Called, no answer. Will try again ${r.pick(["Thursday", "Monday morning", "after 5pm", "this weekend"])}.`,
  (c, r) => `Sent ${r.int(3, 9)} listings in ${c.area}; liked two, asked about the property taxes.`,
  (c) => `Asked how MUD and PID taxes work in ${c.area}. Sent the breakdown.`,
  (c, r) => c.lead.tags.includes("relocation") ? `Relocating from ${r.pick(["San Jose", "Seattle", "Chicago", "Los Angeles", "Denver", "New York"])} for a job at ${r.pick(["Tesla", "Samsung", "Apple", "Oracle", "Dell"])}; wants to close before school starts.` : null,
  (c) => c.lead.tags.includes("first-time-buyer") ? "First-time buyer. Walked through closing costs and the Texas option period." : null,
  (c) => c.lead.tags.includes("investor") ? `Investor looking for rentals near ${c.area}; wants rent comps and cap rates.` : null,
  (c) => c.lead.tags.includes("veteran") && c.lead.financing !== CASH ? "Veteran, plans to use a VA loan. Check the seller will take VA terms." : null,
  (c) => c.lead.tags.includes("downsizing") ? "Empty nesters downsizing; want single-story and low maintenance." : null,
  (c) => c.lead.tags.includes("spanish-speaking") ? "Prefers Spanish. Looping in a bilingual agent for showings." : null,
  (c) => c.lead.source === LeadSource.OPEN_HOUSE ? `Met at the open house in ${c.area}; liked the floor plan, worried about HOA fees.` : null,
];

const round5k = (n: number): number => Math.round(n / 5000) * 5000;
const money = (n: number): string => (n >= 1e6 ? `$${Number((n / 1e6).toFixed(2))}M` : `$${Math.round(n / 1000)}k`);
const slug = (s: string): string => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]/g, "");
const ID_CHARS = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"];

/**
 * Generates `count` realistic Austin-metro leads for `tenantId`, deterministic for the same arguments.
 * Randomness is seeded from the tenant id only, so a smaller `count` yields a prefix of a larger one;
 * `now` anchors every date (created within the 180 days before it, updated and noted no later than it).
 */
export function generateLeads(tenantId: string, count: number, now: Date): SeedLead[] {
  const r = makeRand(`lead-generator:${tenantId}`);
  const agents = r.sample(AGENTS, 6);
  const ids = new Set<string>(), emails = new Set<string>(), phones = new Set<string>();
  const leads: SeedLead[] = [];
  for (let n = 0; n < count; n++) {
    let ghlContactId: string;
    do ghlContactId = Array.from({ length: 20 }, () => r.pick(ID_CHARS)).join(""); while (ids.has(ghlContactId));
    ids.add(ghlContactId);

    const group = r.weighted(NAME_GROUPS.map((g) => [g, g.weight] as const));
    const firstName = r.pick(group.first);
    const lastName = r.chance(0.12) ? r.pick(ALL_LAST) : r.pick(group.last);
    const status = r.weighted(STATUSES);
    const stage = STAGES[status];
    const late = status === UNDER_CONTRACT || status === CLOSED_WON;
    const source = late && r.chance(0.2) ? LeadSource.REFERRAL : r.weighted(SOURCES);
    const timeline = r.weighted(stage.timeline);
    const financing = r.weighted(stage.financing);

    const propertyTypes = [r.weighted(PROPERTY_TYPES)];
    if (r.chance(0.25)) { const second = r.weighted(PROPERTY_TYPES); if (!propertyTypes.includes(second)) propertyTypes.push(second); }
    const regionAreas = r.weighted(REGIONS);
    const areas = r.sample(regionAreas, r.weighted([[1, 50], [2, 35], [3, 15]]));
    if (areas.length < 3 && r.chance(0.1)) { const extra = r.pick(AUSTIN_MARKET_AREAS); if (!areas.includes(extra)) areas.push(extra); }

    let budgetMin: number | null = null, budgetMax: number | null = null;
    if (!r.chance(stage.noBudget)) {
      const median = areas.reduce((sum, a) => sum + a.medianListPrice, 0) / areas.length;
      const kind = propertyTypes[0] === PropertyType.CONDO ? 0.7 : propertyTypes[0] === PropertyType.LAND || propertyTypes[0] === PropertyType.MANUFACTURED ? 0.6 : 1;
      budgetMax = round5k(Math.min(2_500_000, Math.max(200_000, median * kind * (r.between(0.65, 1.6) + (r.chance(0.08) ? 1 : 0)))));
      budgetMin = Math.max(180_000, round5k(budgetMax * r.between(0.6, 0.85)));
    }

    const tags = new Set<string>();
    const maybe = (tag: string, when: boolean, p: number): void => { if (when && r.chance(p)) tags.add(tag); };
    maybe("needs-lender", financing === NOT_STARTED, 0.5);
    maybe("open-house-2026", source === LeadSource.OPEN_HOUSE, 0.7);
    maybe("luxury", (budgetMax ?? 0) >= 1_000_000, 0.7);
    maybe("investor", propertyTypes.includes(PropertyType.MULTI_FAMILY), 0.9);
    maybe("spanish-speaking", group.spanish, 0.3);
    maybe("hot", timeline === IMMEDIATE && status !== CLOSED_WON && status !== CLOSED_LOST, 0.5);
    maybe("cash-buyer", financing === CASH, 0.4);
    const target = Math.max(tags.size, r.weighted([[0, 25], [1, 35], [2, 25], [3, 10], [4, 5]]));
    for (let tries = 0; tags.size < target && tries < 10; tries++) {
      const tag = r.pick(EXTRA_TAGS);
      if (!TAG_CONFLICTS.some(([a, b]) => (tag === a && tags.has(b)) || (tag === b && tags.has(a)))) tags.add(tag);
    }
    const tagList = [...tags].slice(0, 4);

    const small = propertyTypes[0] === PropertyType.CONDO || tagList.includes("downsizing");
    const bedroomsMin = r.chance(0.2) || propertyTypes[0] === PropertyType.LAND ? null : small ? r.int(1, 2) : r.weighted([[2, 15], [3, 50], [4, 28], [5, 7]]);
    const assignedTo = r.chance(stage.unassigned) ? null : r.pick(agents);

    let email: string | null = null;
    if (r.chance(0.9)) {
      const f = slug(firstName), l = slug(lastName), domain = r.weighted(DOMAINS);
      const local = PERSONAL_DOMAINS.has(domain) ? r.pick([`${f}.${l}`, `${f}${l}`, `${f.charAt(0)}${l}`, `${f}_${l}`, `${f}${l}${r.int(1, 99)}`, `${f}.${l}${r.int(70, 99)}`, `${l}.${f}`]) : `${f}.${l}`;
      email = `${local}@${domain}`;
      while (emails.has(email)) email = `${local}${r.int(2, 999)}@${domain}`;
      emails.add(email);
    }
    let phone: string | null = null;
    if (r.chance(0.85)) {
      do phone = `+1${r.weighted([["512", 70], ["737", 30]])}${r.int(201, 998)}${String(r.int(0, 9999)).padStart(4, "0")}`; while (phones.has(phone) || phone.slice(5, 8) === "555" || phone.slice(6, 8) === "11");
      phones.add(phone);
    }

    // Squaring the uniform draw skews ages toward recent leads, as inbound volume grows.
    const [minAge, maxAge] = stage.ageDays;
    const createdMs = now.getTime() - Math.round((minAge + (maxAge - minAge) * r.next() ** 2) * DAY) - r.int(5, 600) * 60_000;
    const updatedMs = createdMs + Math.round((now.getTime() - createdMs) * r.between(...stage.touched));

    const author = (): string => assignedTo ?? r.pick(agents);
    const lead = { source, financing, tags: tagList, propertyTypes };
    const ctx: NoteCtx = { first: firstName, area: r.pick(areas).name, budget: budgetMax === null ? null : money(budgetMax), beds: bedroomsMin, lead };
    const noteCount = r.int(...stage.notes);
    const closing = stage.closing.length > 0 ? r.pick(stage.closing).replace("{area}", ctx.area) : null;
    const general = r.sample(NOTE_TEMPLATES, NOTE_TEMPLATES.length).map((t) => t(ctx, r)).filter((b): b is string => b !== null);
    // The intro note, when present, must come first: bodies are paired with times sorted ascending.
    const bodies = [...(r.chance(0.4) ? [introNote(ctx)] : []), ...general].slice(0, noteCount - (closing ? 1 : 0));
    if (closing) bodies.push(closing);
    const times = bodies.map(() => createdMs + Math.round((updatedMs - createdMs) * r.next())).sort((x, y) => x - y);
    // The stage note (offer accepted, closed, lost) is the latest event, so it lands on updatedAt.
    if (closing && times.length > 0) times[times.length - 1] = updatedMs;
    const notes = bodies.map((body, i): SeedNote => ({ body, author: author(), createdAt: new Date(times[i] ?? updatedMs) }));

    leads.push({
      ghlContactId, firstName, lastName, email, phone, source, status, tags: tagList, budgetMin, budgetMax, timeline, financing,
      propertyTypes, preferredAreas: areas.map((a) => a.name), bedroomsMin, assignedTo,
      doNotContact: r.chance(status === CLOSED_LOST ? 0.12 : 0.03),
      createdAt: new Date(createdMs), updatedAt: new Date(updatedMs), notes,
    });
  }
  return leads;
}
