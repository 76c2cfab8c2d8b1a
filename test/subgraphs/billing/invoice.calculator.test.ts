import { draftInvoice, type PlanChangeFact } from "../../../subgraphs/billing/src/invoice/invoice.calculator";
import { InvoiceLineKind } from "../../../subgraphs/billing/src/invoice/invoice.enums";
import { divideRoundingHalfUp } from "../../../subgraphs/billing/src/money/money";
import { parsePeriodLabel, type BillingPeriod } from "../../../subgraphs/billing/src/period/billing-period";
import { PlanCode } from "../../../subgraphs/billing/src/plan/plan.catalog";
import { UsageMeter } from "../../../subgraphs/billing/src/usage/usage-meter";

const NO_USAGE = new Map<UsageMeter, number>();

function period(label: string): BillingPeriod {
  const parsed = parsePeriodLabel(label);
  if (!parsed) throw new Error(`bad label ${label}`);
  return parsed;
}

function change(plan: PlanCode | null, day: string): PlanChangeFact {
  return { plan, effectiveAt: new Date(`${day}T00:00:00Z`) };
}

function amounts(draft: ReturnType<typeof draftInvoice>) {
  if (!draft) throw new Error("expected an invoice");
  return { lines: draft.lines.map((line) => [line.kind, line.quantity, line.amountCents]), total: draft.totalCents };
}

// Every expected number below is worked out by hand in the comment next to it.
describe("invoice arithmetic", () => {
  it("charges a whole month on one plan at exactly its price", () => {
    const draft = draftInvoice({ period: period("2026-03"), changes: [change(PlanCode.STARTER, "2026-01-05")], trialEndsAt: null, usage: NO_USAGE });
    expect(amounts(draft)).toEqual({ lines: [[InvoiceLineKind.PLAN_FEE, 31, 9_900]], total: 9_900 });
  });

  it("prorates an upgrade to the day, the day of the change at the new plan", () => {
    const draft = draftInvoice({
      period: period("2026-03"),
      changes: [change(PlanCode.STARTER, "2026-01-05"), change(PlanCode.PROFESSIONAL, "2026-03-15")],
      trialEndsAt: null,
      usage: NO_USAGE,
    });
    // STARTER 1-14 March: 9,900 × 14 / 31 = 4,470.97 → 4,471. PROFESSIONAL 15-31 March: 29,900 × 17 / 31 = 16,396.77 → 16,397.
    expect(amounts(draft)).toEqual({
      lines: [
        [InvoiceLineKind.PLAN_FEE, 14, 4_471],
        [InvoiceLineKind.PLAN_FEE, 17, 16_397],
      ],
      total: 20_868,
    });
    expect(draft?.lines[1]?.description).toBe("Professional plan, 2026-03-15 to 2026-03-31 (17 of 31 days of $299.00)");
  });

  it("prorates across a month boundary: each month is a fraction of its own length", () => {
    const changes = [change(PlanCode.STARTER, "2026-01-20"), change(PlanCode.PROFESSIONAL, "2026-02-10")];
    // January: STARTER 20-31, 12 days: 9,900 × 12 / 31 = 3,832.26 → 3,832.
    expect(amounts(draftInvoice({ period: period("2026-01"), changes, trialEndsAt: null, usage: NO_USAGE }))).toEqual({
      lines: [[InvoiceLineKind.PLAN_FEE, 12, 3_832]],
      total: 3_832,
    });
    // February 2026 has 28 days. STARTER 1-9: 9,900 × 9 / 28 = 3,182.14 → 3,182. PROFESSIONAL 10-28: 29,900 × 19 / 28 = 20,289.29 → 20,289.
    expect(amounts(draftInvoice({ period: period("2026-02"), changes, trialEndsAt: null, usage: NO_USAGE }))).toEqual({
      lines: [
        [InvoiceLineKind.PLAN_FEE, 9, 3_182],
        [InvoiceLineKind.PLAN_FEE, 19, 20_289],
      ],
      total: 23_471,
    });
    // March: PROFESSIONAL all month.
    expect(amounts(draftInvoice({ period: period("2026-03"), changes, trialEndsAt: null, usage: NO_USAGE })).total).toBe(29_900);
  });

  it("counts the leap day: February 2024 has 29 days", () => {
    const changes = [change(PlanCode.STARTER, "2023-11-01"), change(PlanCode.ENTERPRISE, "2024-02-29")];
    const draft = draftInvoice({ period: period("2024-02"), changes, trialEndsAt: null, usage: NO_USAGE });
    // STARTER 1-28: 9,900 × 28 / 29 = 9,558.62 → 9,559. ENTERPRISE on the 29th alone: 99,900 / 29 = 3,444.83 → 3,445.
    expect(amounts(draft)).toEqual({
      lines: [
        [InvoiceLineKind.PLAN_FEE, 28, 9_559],
        [InvoiceLineKind.PLAN_FEE, 1, 3_445],
      ],
      total: 13_004,
    });
    // The same change a year later (28-day February) would be a different fraction.
    expect(period("2024-02").days).toBe(29);
    expect(period("2025-02").days).toBe(28);
  });

  it("charges overage per unit beyond the period's last plan, and nothing at or under the allowance", () => {
    const usage = new Map([
      [UsageMeter.LEADS_CREATED, 2_612],
      [UsageMeter.LEADS_SCORED, 10_050],
      [UsageMeter.MESSAGES_ANALYZED, 5_000],
      [UsageMeter.WEBHOOKS_PROCESSED, 12],
    ]);
    const draft = draftInvoice({ period: period("2026-04"), changes: [change(PlanCode.PROFESSIONAL, "2026-01-01")], trialEndsAt: null, usage });
    // Fee 29,900. Leads 2,612 - 2,500 = 112 × 20 = 2,240. Scorings 10,050 - 10,000 = 50 × 2 = 100. Messages exactly at 5,000: none.
    expect(amounts(draft)).toEqual({
      lines: [
        [InvoiceLineKind.PLAN_FEE, 30, 29_900],
        [InvoiceLineKind.OVERAGE, 112, 2_240],
        [InvoiceLineKind.OVERAGE, 50, 100],
      ],
      total: 32_240,
    });
    expect(draft?.lines[1]).toMatchObject({ meter: UsageMeter.LEADS_CREATED, unitPriceCents: 20, description: "Leads created: 2612 used, 2500 included, 112 over at $0.20" });
  });

  it("prices overage at the plan in effect at the end of the period", () => {
    const usage = new Map([[UsageMeter.LEADS_CREATED, 600]]);
    const changes = [change(PlanCode.ENTERPRISE, "2026-01-01"), change(PlanCode.STARTER, "2026-06-21")];
    const draft = draftInvoice({ period: period("2026-06"), changes, trialEndsAt: null, usage });
    // ENTERPRISE 1-20 June: 99,900 × 20 / 30 = 66,600. STARTER 21-30: 9,900 × 10 / 30 = 3,300. 600 - 500 = 100 leads × 25 = 2,500.
    expect(amounts(draft)).toEqual({
      lines: [
        [InvoiceLineKind.PLAN_FEE, 20, 66_600],
        [InvoiceLineKind.PLAN_FEE, 10, 3_300],
        [InvoiceLineKind.OVERAGE, 100, 2_500],
      ],
      total: 72_400,
    });
  });

  it("bills nothing for trial days, and starts billing on the first day that begins after the trial", () => {
    const draft = draftInvoice({
      period: period("2026-09"),
      changes: [change(PlanCode.PROFESSIONAL, "2026-09-03")],
      // Ends mid-day on the 17th: the 17th began in trial.
      trialEndsAt: new Date("2026-09-17T15:00:00Z"),
      usage: NO_USAGE,
    });
    // Trial 3-17 September: 15 days free. PROFESSIONAL 18-30: 29,900 × 13 / 30 = 12,956.67 → 12,957.
    expect(amounts(draft)).toEqual({
      lines: [
        [InvoiceLineKind.PLAN_FEE, 15, 0],
        [InvoiceLineKind.PLAN_FEE, 13, 12_957],
      ],
      total: 12_957,
    });
  });

  it("stops at cancellation and resumes at reactivation; the last change of a day wins", () => {
    const changes = [
      change(PlanCode.STARTER, "2026-01-01"),
      // Cancelled during the 10th: billed through the 10th.
      change(null, "2026-05-11"),
      change(PlanCode.PROFESSIONAL, "2026-05-20"),
      // Changed twice on the 25th: the second stands for the day.
      change(PlanCode.ENTERPRISE, "2026-05-25"),
      change(PlanCode.PROFESSIONAL, "2026-05-25"),
    ];
    const draft = draftInvoice({ period: period("2026-05"), changes, trialEndsAt: null, usage: NO_USAGE });
    // STARTER 1-10: 9,900 × 10 / 31 = 3,193.55 → 3,194. PROFESSIONAL 20-31: 29,900 × 12 / 31 = 11,574.19 → 11,574.
    expect(amounts(draft)).toEqual({
      lines: [
        [InvoiceLineKind.PLAN_FEE, 10, 3_194],
        [InvoiceLineKind.PLAN_FEE, 12, 11_574],
      ],
      total: 14_768,
    });
  });

  it("has no invoice for a period without a day on a plan", () => {
    expect(draftInvoice({ period: period("2025-12"), changes: [change(PlanCode.STARTER, "2026-01-01")], trialEndsAt: null, usage: NO_USAGE })).toBeNull();
    expect(
      draftInvoice({ period: period("2026-03"), changes: [change(PlanCode.STARTER, "2026-01-01"), change(null, "2026-02-01")], trialEndsAt: null, usage: NO_USAGE }),
    ).toBeNull();
  });

  it("rounds halves up in integer arithmetic", () => {
    expect(divideRoundingHalfUp(5, 2)).toBe(3);
    expect(divideRoundingHalfUp(7, 2)).toBe(4);
    expect(divideRoundingHalfUp(9_900 * 14, 31)).toBe(4_471);
    expect(divideRoundingHalfUp(1, 3)).toBe(0);
    expect(() => divideRoundingHalfUp(1.5, 2)).toThrow(RangeError);
  });

  it("reads periods as UTC calendar months and refuses anything else", () => {
    expect(period("2024-02")).toEqual({ label: "2024-02", start: new Date("2024-02-01T00:00:00Z"), end: new Date("2024-03-01T00:00:00Z"), days: 29 });
    expect(period("2026-12").end).toEqual(new Date("2027-01-01T00:00:00Z"));
    for (const bad of ["2026-13", "2026-00", "2026-3", "26-03", "2026-03-01", "1999-12", " 2026-03"]) expect(parsePeriodLabel(bad)).toBeNull();
  });
});
