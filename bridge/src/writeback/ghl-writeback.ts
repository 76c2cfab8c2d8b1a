import type { Kysely } from "kysely";
import { Counter } from "prom-client";
import { TENANT_HEADER } from "../../../gateway/src/auth/authenticate";
import { startEventConsumer, type EventConsumer } from "../../../lib/events/event-consumer";
import type { Logger } from "../../../lib/logger";
import { metricsRegistry } from "../../../lib/metrics";
import type { BridgeProcessing } from "../index";
import type { BridgeDatabase } from "../database";
import type { GatewayCredentials } from "../processing/gateway-client";
import { createGhlContactsClient, type CustomFieldValue } from "./ghl-contacts-client";
import { createLeadScoreReader, type LeadScoreSnapshot } from "./lead-score-lookup";
import { claimGhlWrites, recordScoreChanges, settleGhlWrite, type ClaimedWrite, type WriteSettlement } from "./ghl-write.repository";
import { createLocationRateLimiter, type RateSlot, type RateWindow } from "./location-rate-limiter";
import type { GhlWriteBackConfig, ScoreCustomFieldIds } from "./writeback-config";

/** The write-back's default consumer name: its position in the events log is stored under it. */
export const WRITEBACK_CONSUMER = "bridge-writeback";
/** GHL's documented burst limit per location. */
export const GHL_LOCATION_RATE: RateWindow = { requests: 100, windowMs: 10_000 };

/** What {@link ghlWriteBack} needs. */
export interface GhlWriteBackOptions {
  config: GhlWriteBackConfig;
  /** The app role's handle, for the events consumer. */
  db: Kysely<BridgeDatabase>;
  /** The same database, for the consumer's `LISTEN` connection. */
  connectionString: string;
  /** The gateway's GraphQL endpoint. */
  gatewayUrl: string;
  /** A `tenants:any` service caller that may read leads. */
  credentials: GatewayCredentials;
  logger: Logger;
  /** Consumer name (default {@link WRITEBACK_CONSUMER}); processes sharing it share one position. */
  consumerName?: string;
  /** Client-side budget per location (default GHL's 100 per 10 s). */
  rateLimit?: RateWindow;
  /** Timeout of one gateway or GHL call. Default 10 s. */
  requestTimeoutMs?: number;
  /** Writes in flight at once per location. Default 4. */
  concurrencyPerLocation?: number;
  /** Attempts of one write failing with a transient error before it is given up. Default 8. */
  maxAttempts?: number;
  /** The safety-net poll of the consumer and of the pending writes. Default 1 s. */
  pollMs?: number;
}

/** How a PUT ended: the label of `bridge_ghl_writeback_puts_total`. */
type PutOutcome = "updated" | "rate_limited" | "retry" | "rejected";

const puts = new Counter({
  name: "bridge_ghl_writeback_puts_total",
  help: "Contact updates sent to GHL by the score write-back, by outcome",
  labelNames: ["outcome"],
  registers: [metricsRegistry],
});
const rateLimited = new Counter({
  name: "bridge_ghl_writeback_rate_limited_total",
  help: "429 answers GHL gave the score write-back",
  registers: [metricsRegistry],
});

const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 60_000;

/** Formats the match text, e.g. `123 Main St ($425,000); 9 Oak Ave ($389,900)`. */
export function formatMatches(matches: readonly { address: string; price: number }[]): string {
  const price = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });
  return matches.map((match) => `${match.address} (${price.format(match.price)})`).join("; ");
}

/** The custom fields one write sets. */
export function scoreCustomFields(ids: ScoreCustomFieldIds, lead: LeadScoreSnapshot): CustomFieldValue[] {
  return [
    { id: ids.score, value: lead.score.value },
    { id: ids.tier, value: lead.score.tier },
    { id: ids.matches, value: formatMatches(lead.matches) },
  ];
}

/**
 * Writes leads' scores back to their GHL contacts. Its consumer reads `LeadScored` events and
 * records each changed lead as a pending write (`bridge.ghl_writes`) in the transaction that
 * moves its log position, so a change is never only in memory. After `debounceMs` a sender
 * claims the lead's write (leased, so replicas share the work and a crashed sender's writes
 * are taken over), reads its current score, tier and best three matches from the gateway and
 * writes them in one `PUT /contacts/{id}`. Changes that arrive meanwhile fold into that one
 * write (keyed by lead, which mirrors exactly one contact); one that arrives during the `PUT`
 * is written again after it. A location is claimed from only as far as its rate budget and
 * concurrency allow, so nothing waits in memory; a 429 pauses the location and puts the
 * write back. Off (no consumer) when no location has a token; locations without one are
 * skipped.
 */
export function ghlWriteBack(options: GhlWriteBackOptions): BridgeProcessing {
  const { config, logger, db } = options;
  const consumerName = options.consumerName ?? WRITEBACK_CONSUMER;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const concurrency = options.concurrencyPerLocation ?? 4;
  const maxAttempts = options.maxAttempts ?? 8;
  const pollMs = options.pollMs ?? 1_000;
  // Long enough for the gateway read and the PUT, each bounded by the timeout.
  const leaseMs = 3 * timeoutMs;
  const reader = createLeadScoreReader({ gatewayUrl: options.gatewayUrl, credentials: options.credentials, tenantHeader: TENANT_HEADER, timeoutMs });
  const ghl = createGhlContactsClient({ apiBaseUrl: config.apiBaseUrl, valueKey: config.valueKey, timeoutMs });
  const limiter = createLocationRateLimiter({ budget: options.rateLimit ?? GHL_LOCATION_RATE });
  const locations = Object.keys(config.tokens);
  const inFlight = new Map<string, number>();
  const sends = new Set<Promise<void>>();
  let consumer: EventConsumer | undefined;
  let poll: NodeJS.Timeout | undefined;
  let wake: { timer: NodeJS.Timeout; at: number } | undefined;
  let sweeping: Promise<void> | undefined;
  let sweepAgain = false;
  let stopped = false;

  /** Sweeps in `delayMs`, unless one is due sooner already. */
  function wakeIn(delayMs: number): void {
    const at = Date.now() + delayMs;
    if (stopped || (wake && wake.at <= at)) return;
    clearTimeout(wake?.timer);
    wake = {
      at,
      timer: setTimeout(() => {
        wake = undefined;
        void sweep();
      }, delayMs),
    };
  }

  function sweep(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (sweeping) {
      sweepAgain = true;
      return sweeping;
    }
    sweeping = (async () => {
      try {
        do {
          sweepAgain = false;
          await sweepOnce();
        } while (sweepAgain && !stopped);
      } catch (error) {
        // The claimed rows' leases run out and they are claimed again: nothing is lost.
        logger.error({ err: error }, "GHL score write-back sweep failed; will retry");
      } finally {
        sweeping = undefined;
      }
    })();
    return sweeping;
  }

  async function sweepOnce(): Promise<void> {
    const limits = new Map<string, number>();
    for (const location of locations) {
      const free = concurrency - (inFlight.get(location) ?? 0);
      if (free <= 0) continue; // a send finishing sweeps again
      const { slots, waitMs } = limiter.capacity(location);
      if (slots > 0) limits.set(location, Math.min(free, slots));
      else wakeIn(waitMs);
    }
    if (limits.size === 0) return;
    const claimed = await claimGhlWrites(db, limits, leaseMs);
    for (const write of claimed) {
      const acquired = limiter.tryAcquire(write.tenantId);
      if ("waitMs" in acquired) {
        track(settle(write, { result: "postpone", delayMs: acquired.waitMs }));
        continue;
      }
      inFlight.set(write.tenantId, (inFlight.get(write.tenantId) ?? 0) + 1);
      track(
        writeLead(write, acquired.slot)
          .then((settlement) => settle(write, settlement))
          .finally(() => {
            inFlight.set(write.tenantId, (inFlight.get(write.tenantId) ?? 1) - 1);
            void sweep();
          }),
      );
    }
    // A location that filled its limit may have more due.
    if (claimed.length > 0 && claimed.length === [...limits.values()].reduce((sum, n) => sum + n, 0)) sweepAgain = true;
  }

  function track(work: Promise<void>): void {
    sends.add(work);
    void work.finally(() => sends.delete(work));
  }

  async function settle(write: ClaimedWrite, settlement: WriteSettlement): Promise<void> {
    try {
      await settleGhlWrite(db, write, settlement);
      wakeIn(settlement.delayMs);
    } catch (error) {
      // Unsettled, the row comes back when its lease runs out: written once more at worst.
      logger.error({ err: error, tenantId: write.tenantId, leadId: write.leadId }, "GHL score write-back could not record its outcome");
    }
  }

  function retryOrGiveUp(write: ClaimedWrite, reason: string): WriteSettlement {
    const attempts = write.attempts + 1;
    if (attempts >= maxAttempts) {
      logger.error({ tenantId: write.tenantId, leadId: write.leadId, reason, attempts }, "GHL score write-back given up");
      return { result: "written", delayMs: config.debounceMs };
    }
    logger.warn({ tenantId: write.tenantId, leadId: write.leadId, reason, attempt: attempts }, "GHL score write-back will retry");
    // Full jitter, so a burst of failures does not come back as one.
    return { result: "retry", reason, delayMs: Math.floor(Math.random() * Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempts - 1))) };
  }

  async function writeLead(write: ClaimedWrite, slot: RateSlot): Promise<WriteSettlement> {
    try {
      return await sendWrite(write, slot);
    } catch (error) {
      // Nothing above should throw; if it does, the write goes round again rather than
      // being left leased, and the slot is freed (settling a slot twice does nothing).
      slot.cancel();
      logger.error({ err: error, tenantId: write.tenantId, leadId: write.leadId }, "GHL score write-back failed unexpectedly");
      return retryOrGiveUp(write, "unexpected failure");
    }
  }

  async function sendWrite(write: ClaimedWrite, slot: RateSlot): Promise<WriteSettlement> {
    const written: WriteSettlement = { result: "written", delayMs: config.debounceMs };
    const token = config.tokens[write.tenantId];
    const lookup = await reader.read(write.tenantId, write.leadId);
    if (lookup.kind !== "found" || token === undefined) {
      slot.cancel();
      return lookup.kind === "retry" ? retryOrGiveUp(write, lookup.reason) : written;
    }
    const { outcome, feedback } = await ghl.updateCustomFields(token, lookup.lead.ghlContactId, scoreCustomFields(config.customFieldIds, lookup.lead));
    puts.inc({ outcome: outcome.kind satisfies PutOutcome });
    switch (outcome.kind) {
      case "updated":
        slot.done(feedback);
        return written;
      case "rate_limited":
        rateLimited.inc();
        slot.rateLimited(feedback);
        // The pause is the location's, not the write's: no attempt spent.
        return { result: "postpone", delayMs: limiter.capacity(write.tenantId).waitMs };
      case "retry":
        slot.done(feedback);
        return retryOrGiveUp(write, outcome.reason);
      case "rejected":
        slot.done(feedback);
        logger.error({ tenantId: write.tenantId, leadId: write.leadId, reason: outcome.reason }, "GHL refused a score write-back");
        return written;
    }
  }

  return {
    async start() {
      if (locations.length === 0) {
        logger.info("GHL score write-back off: no location has a token");
        return;
      }
      stopped = false;
      consumer = await startEventConsumer<BridgeDatabase>({
        name: consumerName,
        db,
        connectionString: options.connectionString,
        logger,
        pollMs,
        wakeOn: ["LeadScored"],
        async handle(events, trx) {
          const changed = new Map<string, string[]>();
          for (const event of events) {
            if (event.type !== "LeadScored" || !Object.prototype.hasOwnProperty.call(config.tokens, event.tenantId)) continue;
            const leads = changed.get(event.tenantId) ?? [];
            leads.push(event.aggregateId);
            changed.set(event.tenantId, leads);
          }
          for (const [tenantId, leadIds] of changed) await recordScoreChanges(trx, tenantId, leadIds, config.debounceMs);
          if (changed.size > 0) wakeIn(config.debounceMs);
        },
      });
      // The safety net: writes recorded by another replica, or left by a process that stopped.
      poll = setInterval(() => void sweep(), pollMs);
      poll.unref();
      void sweep();
    },
    async stop() {
      stopped = true;
      clearInterval(poll);
      clearTimeout(wake?.timer);
      wake = undefined;
      await consumer?.stop();
      consumer = undefined;
      await sweeping;
      // Sends in flight finish and record their outcome; writes not yet due stay recorded.
      while (sends.size > 0) await Promise.all([...sends]);
    },
  };
}
