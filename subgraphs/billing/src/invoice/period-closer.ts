import type { Kysely } from "kysely";
import type { Logger } from "../../../../lib/logger";
import type { BillingDatabase } from "../database";
import { closeDuePeriods } from "./invoice.service";

/** A running scheduler. */
export interface PeriodCloser {
  stop(): Promise<void>;
}

/**
 * Runs {@link closeDuePeriods} every `intervalMs` (first pass after one interval, when the
 * consumer has had time to catch up), one pass at a time; stop waits for a pass in flight.
 */
export function startPeriodCloser(db: Kysely<BillingDatabase>, logger: Logger, intervalMs: number): PeriodCloser {
  let pass: Promise<void> | null = null;
  const timer = setInterval(() => {
    // A pass slower than the interval is not joined by a second one.
    if (pass) return;
    pass = closeDuePeriods(db, logger)
      .then(() => undefined, (error: unknown) => logger.error({ err: error }, "period close pass failed"))
      .finally(() => {
        pass = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await pass;
    },
  };
}
