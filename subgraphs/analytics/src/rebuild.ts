import { sql } from "kysely";
import { createDatabase } from "../../../lib/db/database";
import type { Logger } from "../../../lib/logger";
import { ANALYTICS_CONSUMER, analyticsLag, startAnalyticsConsumer } from "./analytics.consumer";
import type { AnalyticsDatabase } from "./database";

/** What a rebuild did. */
export interface RebuildResult {
  /** Events in the log when the rebuild finished catching up. */
  eventsProjected: number;
  leads: number;
}

/**
 * Rebuilds analytics from the start of the log: empties its tables and its position in one
 * transaction (under the consumer's own lock, so a running analytics service waits rather
 * than interleaves), then projects the whole log again until caught up. Runs as the owner,
 * as it empties every tenant's rows. Reports read partial numbers until it finishes.
 */
export async function rebuildAnalytics(ownerUrl: string, logger: Logger): Promise<RebuildResult> {
  const db = createDatabase<AnalyticsDatabase>(ownerUrl, { name: "analytics-rebuild", poolSize: 2 });
  try {
    await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`consumer:${ANALYTICS_CONSUMER}`}))`.execute(trx);
      await sql`truncate analytics.lead_facts, analytics.lead_activity, analytics.webhook_events`.execute(trx);
      await sql`delete from events.consumer_offsets where consumer = ${ANALYTICS_CONSUMER}`.execute(trx);
    });
    const consumer = await startAnalyticsConsumer(db, ownerUrl, logger, { pollMs: 100 });
    try {
      // Caught up means nothing committed is left behind the position (what is in flight is not ours yet).
      for (let lag = await analyticsLag(db); lag.eventsBehind > 0; lag = await analyticsLag(db)) {
        await consumer.drain();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await consumer.stop();
    }
    const { rows } = await sql<{ events: number; leads: number }>`
      select (select count(*)::int from events.log) as events, (select count(*)::int from analytics.lead_facts) as leads`.execute(db);
    return { eventsProjected: rows[0]!.events, leads: rows[0]!.leads };
  } finally {
    await db.destroy();
  }
}
