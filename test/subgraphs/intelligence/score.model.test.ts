import { BuyingTimeline, FinancingStatus, LeadStatus, PropertyType } from "../../../subgraphs/leads/src/lead/lead.enums";
import type { LeadFeatures } from "../../../subgraphs/intelligence/src/features/lead-features";
import { searchProfile } from "../../../subgraphs/intelligence/src/features/lead-features";
import { MessageIntent, Urgency } from "../../../subgraphs/intelligence/src/insight/insight.enums";
import { ScoreTier } from "../../../subgraphs/intelligence/src/score/score.enums";
import {
  SCORE_MODEL_VERSION,
  ScoreFactorName,
  scoreLead,
  tierFor,
  type ScoreResult,
  type ScoringInput,
} from "../../../subgraphs/intelligence/src/score/score.model";
import { chance, int, pick, prng, subset, type Random } from "../../helpers/random";

const nullable = <T>(random: Random, value: () => T): T | null => (chance(random, 0.5) ? value() : null);

const AREAS = ["Round Rock", "Cedar Park", "Pflugerville", "Georgetown", "Leander", "Hutto"] as const;
const FINANCING_ORDER = [FinancingStatus.UNKNOWN, FinancingStatus.NOT_STARTED, FinancingStatus.PRE_QUALIFIED, FinancingStatus.PRE_APPROVED, FinancingStatus.CASH];
const TIMELINE_ORDER = [
  BuyingTimeline.UNKNOWN,
  BuyingTimeline.JUST_BROWSING,
  BuyingTimeline.WITHIN_12_MONTHS,
  BuyingTimeline.WITHIN_6_MONTHS,
  BuyingTimeline.WITHIN_3_MONTHS,
  BuyingTimeline.IMMEDIATE,
];
const URGENCY_ORDER: (Urgency | null)[] = [null, Urgency.LOW, Urgency.MEDIUM, Urgency.HIGH];
/** What a realtor would call a stronger signal; BUY and SELL are equally strong. */
const BETTER_INTENT: Readonly<Record<MessageIntent | "null", MessageIntent | null>> = {
  null: MessageIntent.INFO_REQUEST,
  [MessageIntent.NOT_INTERESTED]: MessageIntent.RENT,
  [MessageIntent.RENT]: MessageIntent.BUY,
  [MessageIntent.INFO_REQUEST]: MessageIntent.SELL,
  [MessageIntent.BUY]: null,
  [MessageIntent.SELL]: null,
};
const REACHED_APPOINTMENT = [LeadStatus.APPOINTMENT_SET, LeadStatus.UNDER_CONTRACT, LeadStatus.CLOSED_WON];
const FACTOR_MAX: Readonly<Record<ScoreFactorName, number>> = {
  [ScoreFactorName.FINANCING]: 25,
  [ScoreFactorName.TIMELINE]: 20,
  [ScoreFactorName.BUDGET_FIT]: 20,
  [ScoreFactorName.SEARCH_SPECIFICITY]: 15,
  [ScoreFactorName.ENGAGEMENT]: 20,
  [ScoreFactorName.DO_NOT_CONTACT]: 0,
};
const POSITIVE_ORDER = [
  ScoreFactorName.FINANCING,
  ScoreFactorName.TIMELINE,
  ScoreFactorName.BUDGET_FIT,
  ScoreFactorName.SEARCH_SPECIFICITY,
  ScoreFactorName.ENGAGEMENT,
];

function budget(random: Random): number {
  return int(random, 8, 300) * 5_000;
}

function randomFeatures(random: Random, index: number): LeadFeatures {
  const budgetMax = nullable(random, () => budget(random));
  return {
    tenantId: "tenant-a",
    leadId: `lead-${index}`,
    revision: int(random, 1, 50),
    leadVersion: int(random, 1, 10),
    status: pick(random, Object.values(LeadStatus)),
    financing: pick(random, Object.values(FinancingStatus)),
    timeline: pick(random, Object.values(BuyingTimeline)),
    budgetMin: budgetMax !== null && chance(random, 0.4) ? Math.floor(budgetMax * 0.6) : null,
    budgetMax,
    bedroomsMin: nullable(random, () => int(random, 0, 6)),
    preferredAreas: subset(random, AREAS),
    propertyTypes: subset(random, Object.values(PropertyType)),
    doNotContact: chance(random, 0.25),
    inboundMessages: int(random, 0, 8),
    latestIntent: nullable(random, () => pick(random, Object.values(MessageIntent))),
    latestUrgency: nullable(random, () => pick(random, Object.values(Urgency))),
    extracted: {
      budgetMax: nullable(random, () => budget(random)),
      bedrooms: nullable(random, () => int(random, 1, 5)),
      areas: subset(random, AREAS),
      timeline: nullable(random, () => pick(random, Object.values(BuyingTimeline))),
    },
  };
}

const LEADS = 2_500;
const inputs: ScoringInput[] = (() => {
  const random = prng(20261101);
  return Array.from({ length: LEADS }, (_, i) => ({
    features: randomFeatures(random, i),
    affordableListings: chance(random, 0.1) ? 0 : int(random, 0, 25),
  }));
})();

/** A lead with nothing known: every factor at zero. Examples below change only what they need. */
function blankFeatures(overrides: Partial<LeadFeatures> = {}): LeadFeatures {
  return {
    tenantId: "tenant-a",
    leadId: "lead-x",
    revision: 1,
    leadVersion: 1,
    status: LeadStatus.NEW,
    financing: FinancingStatus.UNKNOWN,
    timeline: BuyingTimeline.UNKNOWN,
    budgetMin: null,
    budgetMax: null,
    bedroomsMin: null,
    preferredAreas: [],
    propertyTypes: [],
    doNotContact: false,
    inboundMessages: 0,
    latestIntent: null,
    latestUrgency: null,
    extracted: { budgetMax: null, bedrooms: null, areas: [], timeline: null },
    ...overrides,
  };
}

const pointsOf = (result: ScoreResult): Record<string, number> => Object.fromEntries(result.factors.map((f) => [f.name, f.points]));
const sumOfFactors = (result: ScoreResult): number => result.factors.reduce((total, f) => total + f.points, 0);

describe("scoreLead, properties over generated leads", () => {
  const results = inputs.map(scoreLead);

  it("varies: the generated leads cover every tier and both ends of the scale", () => {
    const tiers = new Set(results.map((r) => r.tier));
    expect(tiers).toEqual(new Set([ScoreTier.HOT, ScoreTier.WARM, ScoreTier.COLD]));
    const values = results.map((r) => r.value);
    expect(Math.min(...values)).toBeLessThan(10);
    expect(Math.max(...values)).toBeGreaterThan(85);
  });

  it("is deterministic, also for fresh copies of the input, and leaves the input alone", () => {
    inputs.forEach((input, i) => {
      const before = structuredClone(input);
      expect(scoreLead(structuredClone(input))).toEqual(results[i]);
      expect(scoreLead(input)).toEqual(results[i]);
      expect(input).toEqual(before);
    });
  });

  it("is exactly the sum of its factors, a whole number within 0..100", () => {
    const wrong = results.filter(
      (r) => r.value !== sumOfFactors(r) || !Number.isInteger(r.value) || r.value < 0 || r.value > 100 || r.modelVersion !== SCORE_MODEL_VERSION,
    );
    expect(wrong).toEqual([]);
  });

  it("always has its tier from tierFor", () => {
    expect(results.filter((r) => r.tier !== tierFor(r.value))).toEqual([]);
  });

  it("lists the five positive factors in a fixed order, then do-not-contact only when it applies", () => {
    inputs.forEach((input, i) => {
      const names = results[i]?.factors.map((f) => f.name);
      const expected = input.features.doNotContact ? [...POSITIVE_ORDER, ScoreFactorName.DO_NOT_CONTACT] : POSITIVE_ORDER;
      expect(names).toEqual(expected);
    });
  });

  it("keeps every factor within its range, and the penalty at -min(40, subtotal)", () => {
    // Collected rather than asserted one by one: thousands of expect calls make the run slow.
    const outOfRange = results.flatMap((result) => {
      const positive = result.factors.filter((f) => f.name !== ScoreFactorName.DO_NOT_CONTACT);
      const subtotal = positive.reduce((total, f) => total + f.points, 0);
      const penalty = result.factors.find((f) => f.name === ScoreFactorName.DO_NOT_CONTACT);
      const bad = positive.filter((f) => !Number.isInteger(f.points) || f.points < 0 || f.points > FACTOR_MAX[f.name]);
      const badPenalty = penalty !== undefined && !Object.is(penalty.points, -Math.min(40, subtotal) || 0);
      return badPenalty ? [...bad, penalty] : bad;
    });
    expect(outOfRange).toEqual([]);
  });

  it("explains every factor as a fact followed by its signed points, in plain words", () => {
    const unclear = results.flatMap((result) =>
      result.factors.filter((f) => {
        const sign = f.points < 0 ? `-${-f.points}` : `+${f.points}`;
        // Any dollar amount carries thousands separators.
        const amounts = f.explanation.match(/\$[\d,]+/g) ?? [];
        return (
          !f.explanation.endsWith(`: ${sign}`) ||
          !/^[A-Z0-9]/.test(f.explanation) ||
          /\b1 (available listings|inbound messages)\b|_|undefined|null|NaN/.test(f.explanation) ||
          amounts.some((amount) => !/^\$\d{1,3}(,\d{3})*$/.test(amount))
        );
      }),
    );
    expect(unclear).toEqual([]);
  });

  it("names the lead's real areas and budget in the budget-fit explanation", () => {
    inputs.forEach((input, i) => {
      const profile = searchProfile(input.features);
      const fit = results[i]?.factors.find((f) => f.name === ScoreFactorName.BUDGET_FIT);
      if (profile.budgetMax === null) return expect(fit?.explanation).toBe("No budget given yet: +0");
      for (const area of profile.areas) expect(fit?.explanation).toContain(area);
      expect(fit?.explanation).toContain(`$${profile.budgetMax.toLocaleString("en-US")}`);
    });
  });
});

/** One step better on a single factor, or null when the lead is already at the top of it. */
type Improvement = (input: ScoringInput) => ScoringInput | null;

const withFeatures = (input: ScoringInput, changes: Partial<LeadFeatures>): ScoringInput => ({
  ...input,
  features: { ...input.features, ...changes },
});
const withExtracted = (input: ScoringInput, changes: Partial<LeadFeatures["extracted"]>): ScoringInput =>
  withFeatures(input, { extracted: { ...input.features.extracted, ...changes } });
const nextIn = <T>(order: readonly T[], current: T): T | null => order[order.indexOf(current) + 1] ?? null;

const IMPROVEMENTS: Readonly<Record<string, Improvement>> = {
  "financing one step better": (input) => {
    const next = nextIn(FINANCING_ORDER, input.features.financing);
    return next === null ? null : withFeatures(input, { financing: next });
  },
  // Steps the timeline the lead is scored on: its own field overrides what its messages said.
  "timeline one step sooner": (input) => {
    const next = nextIn(TIMELINE_ORDER, searchProfile(input.features).timeline);
    return next === null ? null : withFeatures(input, { timeline: next });
  },
  "more affordable listings": (input) => ({ ...input, affordableListings: input.affordableListings + 1 }),
  "many more affordable listings": (input) => ({ ...input, affordableListings: input.affordableListings + 9 }),
  "adding areas": (input) => withFeatures(input, { preferredAreas: [...input.features.preferredAreas, "Taylor"] }),
  "adding minimum bedrooms": (input) => (input.features.bedroomsMin === null ? withFeatures(input, { bedroomsMin: 3 }) : null),
  "adding property types": (input) => withFeatures(input, { propertyTypes: [...input.features.propertyTypes, PropertyType.CONDO] }),
  "adding a budget": (input) => (input.features.budgetMax === null ? withFeatures(input, { budgetMax: 400_000 }) : null),
  "one more inbound message": (input) => withFeatures(input, { inboundMessages: input.features.inboundMessages + 1 }),
  "reaching APPOINTMENT_SET": (input) =>
    REACHED_APPOINTMENT.includes(input.features.status) ? null : withFeatures(input, { status: LeadStatus.APPOINTMENT_SET }),
  "better intent": (input) => {
    const next = BETTER_INTENT[input.features.latestIntent ?? "null"];
    return next === null ? null : withFeatures(input, { latestIntent: next });
  },
  "higher urgency": (input) => {
    const next = nextIn(URGENCY_ORDER, input.features.latestUrgency);
    return next === null ? null : withFeatures(input, { latestUrgency: next });
  },
  "removing doNotContact": (input) => (input.features.doNotContact ? withFeatures(input, { doNotContact: false }) : null),
  "a message stating a budget": (input) => (input.features.extracted.budgetMax === null ? withExtracted(input, { budgetMax: 350_000 }) : null),
  "a message stating bedrooms": (input) => (input.features.extracted.bedrooms === null ? withExtracted(input, { bedrooms: 2 }) : null),
  "a message naming areas": (input) => (input.features.extracted.areas.length === 0 ? withExtracted(input, { areas: ["Hutto"] }) : null),
  "a message stating a timeline": (input) =>
    input.features.extracted.timeline === null ? withExtracted(input, { timeline: BuyingTimeline.WITHIN_6_MONTHS }) : null,
};

describe("scoreLead, monotonicity", () => {
  it.each(Object.entries(IMPROVEMENTS))("never lowers the value on %s", (_name, improve) => {
    let applied = 0;
    for (const input of inputs) {
      const better = improve(input);
      if (better === null) continue;
      applied += 1;
      const before = scoreLead(input).value;
      const after = scoreLead(better).value;
      if (after < before) throw new Error(`${after} < ${before} for ${JSON.stringify(input)}`);
    }
    // The generator must actually exercise the improvement, or the property says nothing.
    expect(applied).toBeGreaterThan(200);
  });

  it("raises the value on each improvement for a lead with room on every factor", () => {
    const features = blankFeatures({ financing: FinancingStatus.NOT_STARTED, latestUrgency: Urgency.LOW });
    const input: ScoringInput = { features, affordableListings: 2 };
    // Without a budget, listings cannot count; without do-not-contact, there is nothing to remove.
    const gains = Object.entries(IMPROVEMENTS)
      .filter(([name]) => !["removing doNotContact", "more affordable listings", "many more affordable listings"].includes(name))
      .map(([name, improve]) => [name, scoreLead(improve(input) ?? input).value - scoreLead(input).value] as const);
    for (const [name, gain] of gains) expect([name, gain > 0]).toEqual([name, true]);
  });
});

describe("scoreLead, hand-computed examples", () => {
  it("a pre-approved buyer three months out in two named areas: 73, HOT", () => {
    // 22 financing + 16 timeline + 14 budget fit (7 listings) + 12 specificity (5 areas, 4 bedrooms, 3 budget)
    // + 9 engagement (2 messages 4, BUY 3, MEDIUM 2) = 73.
    const result = scoreLead({
      features: blankFeatures({
        status: LeadStatus.QUALIFIED,
        financing: FinancingStatus.PRE_APPROVED,
        timeline: BuyingTimeline.WITHIN_3_MONTHS,
        budgetMax: 450_000,
        bedroomsMin: 3,
        preferredAreas: ["Round Rock", "Cedar Park"],
        inboundMessages: 2,
        latestIntent: MessageIntent.BUY,
        latestUrgency: Urgency.MEDIUM,
      }),
      affordableListings: 7,
    });
    expect(result).toEqual({
      value: 73,
      tier: ScoreTier.HOT,
      modelVersion: "rules-2026.11",
      factors: [
        { name: ScoreFactorName.FINANCING, points: 22, explanation: "Pre-approved for a mortgage: +22" },
        { name: ScoreFactorName.TIMELINE, points: 16, explanation: "Wants to buy within 3 months: +16" },
        { name: ScoreFactorName.BUDGET_FIT, points: 14, explanation: "7 available listings in Round Rock, Cedar Park fit the $450,000 budget: +14" },
        {
          name: ScoreFactorName.SEARCH_SPECIFICITY,
          points: 12,
          explanation: "Search names areas, minimum bedrooms and a budget; no property types yet: +12",
        },
        { name: ScoreFactorName.ENGAGEMENT, points: 9, explanation: "2 inbound messages, wants to buy, medium urgency: +9" },
      ],
    });
  });

  it("an eager cash buyer under contract who asked not to be contacted: 95 - 40 = 55, WARM", () => {
    // 25 + 20 + 20 (25 listings, capped at 10) + 10 (4 bedrooms, 3 types, 3 budget)
    // + 20 (5 messages capped at 3 = 6, under contract 8, SELL 3, HIGH 3) = 95; penalty -40.
    const result = scoreLead({
      features: blankFeatures({
        status: LeadStatus.UNDER_CONTRACT,
        financing: FinancingStatus.CASH,
        timeline: BuyingTimeline.IMMEDIATE,
        budgetMin: 300_000,
        budgetMax: 1_250_000,
        bedroomsMin: 4,
        propertyTypes: [PropertyType.CONDO],
        doNotContact: true,
        inboundMessages: 5,
        latestIntent: MessageIntent.SELL,
        latestUrgency: Urgency.HIGH,
      }),
      affordableListings: 25,
    });
    expect(pointsOf(result)).toEqual({ FINANCING: 25, TIMELINE: 20, BUDGET_FIT: 20, SEARCH_SPECIFICITY: 10, ENGAGEMENT: 20, DO_NOT_CONTACT: -40 });
    expect(result.value).toBe(55);
    expect(result.tier).toBe(ScoreTier.WARM);
    expect(result.factors.map((f) => f.explanation)).toEqual([
      "Paying cash: +25",
      "Wants to buy now: +20",
      "25 available listings in any area fit the $300,000–$1,250,000 budget: +20",
      "Search names minimum bedrooms, property types and a budget; no areas yet: +10",
      "5 inbound messages, under contract, wants to sell, high urgency: +20",
      "Asked not to be contacted: -40",
    ]);
  });

  it("a lead whose messages filled the gaps: 27, COLD", () => {
    // 4 financing + 10 timeline (from a message) + 2 budget fit (1 listing, budget from a message)
    // + 8 specificity (5 areas from a message, 3 budget) + 3 engagement (1 message 2, INFO_REQUEST 1, LOW 0) = 27.
    const result = scoreLead({
      features: blankFeatures({
        financing: FinancingStatus.NOT_STARTED,
        inboundMessages: 1,
        latestIntent: MessageIntent.INFO_REQUEST,
        latestUrgency: Urgency.LOW,
        extracted: { budgetMax: 250_000, bedrooms: null, areas: ["Pflugerville"], timeline: BuyingTimeline.WITHIN_6_MONTHS },
      }),
      affordableListings: 1,
    });
    expect(pointsOf(result)).toEqual({ FINANCING: 4, TIMELINE: 10, BUDGET_FIT: 2, SEARCH_SPECIFICITY: 8, ENGAGEMENT: 3 });
    expect(result.value).toBe(27);
    expect(result.tier).toBe(ScoreTier.COLD);
    expect(result.factors.map((f) => f.explanation)).toEqual([
      "Has not started on financing yet: +4",
      "Wants to buy within 6 months: +10",
      "1 available listing in Pflugerville fits the $250,000 budget: +2",
      "Search names areas and a budget; no bedrooms or property types yet: +8",
      "1 inbound message, asking for information, low urgency: +3",
    ]);
  });
});

describe("tiers and the ends of the scale", () => {
  it.each([
    [0, ScoreTier.COLD],
    [39, ScoreTier.COLD],
    [40, ScoreTier.WARM],
    [69, ScoreTier.WARM],
    [70, ScoreTier.HOT],
    [100, ScoreTier.HOT],
  ])("tierFor(%i) is %s", (value, tier) => {
    expect(tierFor(value)).toBe(tier);
  });

  const cashNow = { financing: FinancingStatus.CASH, timeline: BuyingTimeline.IMMEDIATE, budgetMax: 500_000, preferredAreas: ["Leander"] };
  const examples: [string, number, ScoreTier, ScoringInput][] = [
    // 25 + 20 + 10 (5 listings) + 8 (areas, budget) + 6 (3 messages) = 69.
    ["69", 69, ScoreTier.WARM, { features: blankFeatures({ ...cashNow, inboundMessages: 3 }), affordableListings: 5 }],
    // 25 + 20 + 10 + 8 + 7 (2 messages 4, HIGH 3) = 70.
    ["70", 70, ScoreTier.HOT, { features: blankFeatures({ ...cashNow, inboundMessages: 2, latestUrgency: Urgency.HIGH }), affordableListings: 5 }],
    // 14 + 10 + 0 + 7 (bedrooms 4, types 3) + 8 (appointment) = 39.
    [
      "39",
      39,
      ScoreTier.COLD,
      {
        features: blankFeatures({
          financing: FinancingStatus.PRE_QUALIFIED,
          timeline: BuyingTimeline.WITHIN_6_MONTHS,
          bedroomsMin: 2,
          propertyTypes: [PropertyType.TOWNHOUSE],
          status: LeadStatus.APPOINTMENT_SET,
        }),
        affordableListings: 12,
      },
    ],
    // The same plus RENT 1 = 40.
    [
      "40",
      40,
      ScoreTier.WARM,
      {
        features: blankFeatures({
          financing: FinancingStatus.PRE_QUALIFIED,
          timeline: BuyingTimeline.WITHIN_6_MONTHS,
          bedroomsMin: 2,
          propertyTypes: [PropertyType.TOWNHOUSE],
          status: LeadStatus.APPOINTMENT_SET,
          latestIntent: MessageIntent.RENT,
        }),
        affordableListings: 12,
      },
    ],
    ["0, nothing known", 0, ScoreTier.COLD, { features: blankFeatures(), affordableListings: 30 }],
    [
      "100, everything at its best",
      100,
      ScoreTier.HOT,
      {
        features: blankFeatures({
          ...cashNow,
          bedroomsMin: 3,
          propertyTypes: [PropertyType.SINGLE_FAMILY],
          status: LeadStatus.CLOSED_WON,
          inboundMessages: 3,
          latestIntent: MessageIntent.BUY,
          latestUrgency: Urgency.HIGH,
        }),
        affordableListings: 10,
      },
    ],
  ];

  it.each(examples)("scores %s exactly", (_label, value, tier, input) => {
    const result = scoreLead(input);
    expect(result.value).toBe(value);
    expect(result.tier).toBe(tier);
  });

  it("takes only what there is: a do-not-contact lead with 12 points lands on 0, not below", () => {
    const result = scoreLead({
      features: blankFeatures({ doNotContact: true, financing: FinancingStatus.PRE_QUALIFIED, inboundMessages: 1 }),
      affordableListings: 0,
    });
    expect(pointsOf(result)).toEqual({ FINANCING: 14, TIMELINE: 0, BUDGET_FIT: 0, SEARCH_SPECIFICITY: 0, ENGAGEMENT: 2, DO_NOT_CONTACT: -16 });
    expect(result.value).toBe(0);
    expect(result.factors.at(-1)?.explanation).toBe("Asked not to be contacted: -16");
  });

  it("gives a do-not-contact lead with nothing else a penalty of 0, not -0", () => {
    const result = scoreLead({ features: blankFeatures({ doNotContact: true }), affordableListings: 0 });
    expect(result.value).toBe(0);
    expect(Object.is(result.factors.at(-1)?.points, 0)).toBe(true);
    expect(result.factors.map((f) => f.explanation)).toEqual([
      "Financing not known yet: +0",
      "Timeline not known yet: +0",
      "No budget given yet: +0",
      "No search details given yet: +0",
      "No messages yet: +0",
      "Asked not to be contacted: +0",
    ]);
  });

  it("ignores counts that cannot be real (negative, fractional, not a number)", () => {
    const features = blankFeatures({ budgetMax: 300_000, inboundMessages: -2 });
    expect(pointsOf(scoreLead({ features, affordableListings: -5 }))).toMatchObject({ BUDGET_FIT: 0, ENGAGEMENT: 0 });
    expect(pointsOf(scoreLead({ features, affordableListings: Number.NaN }))).toMatchObject({ BUDGET_FIT: 0 });
    expect(pointsOf(scoreLead({ features, affordableListings: 3.7 }))).toMatchObject({ BUDGET_FIT: 6 });
  });
});
