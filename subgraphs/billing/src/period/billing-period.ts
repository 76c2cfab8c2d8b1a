/** Milliseconds in a UTC day. */
export const DAY_MS = 86_400_000;

/** A billing period: one calendar month in UTC, `[start, end)`. */
export interface BillingPeriod {
  /** `YYYY-MM`. */
  label: string;
  start: Date;
  end: Date;
  /** Days in the month: what a day of a plan is a fraction of. */
  days: number;
}

const LABEL = /^(\d{4})-(0[1-9]|1[0-2])$/;

function monthPeriod(year: number, monthIndex: number): BillingPeriod {
  const start = new Date(Date.UTC(year, monthIndex, 1));
  const end = new Date(Date.UTC(year, monthIndex + 1, 1));
  const label = `${String(start.getUTCFullYear()).padStart(4, "0")}-${String(start.getUTCMonth() + 1).padStart(2, "0")}`;
  return { label, start, end, days: Math.round((end.getTime() - start.getTime()) / DAY_MS) };
}

/** The period `instant` falls in. */
export function periodContaining(instant: Date): BillingPeriod {
  return monthPeriod(instant.getUTCFullYear(), instant.getUTCMonth());
}

/** The period before `period`. */
export function previousPeriod(period: BillingPeriod): BillingPeriod {
  return monthPeriod(period.start.getUTCFullYear(), period.start.getUTCMonth() - 1);
}

/** Parses a client's `YYYY-MM` (years 2000 to 2999), or null when it is not one. */
export function parsePeriodLabel(label: string): BillingPeriod | null {
  const match = LABEL.exec(label);
  if (!match) return null;
  const year = Number(match[1]);
  if (year < 2000 || year > 2999) return null;
  return monthPeriod(year, Number(match[2]) - 1);
}

/** Midnight UTC of the day `instant` falls in: plan changes take effect from a day's start. */
export function startOfUtcDay(instant: Date): Date {
  return new Date(Math.floor(instant.getTime() / DAY_MS) * DAY_MS);
}

/** `YYYY-MM-DD` of a UTC day. */
export function isoDay(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}
