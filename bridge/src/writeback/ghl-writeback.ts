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
  /** The consumer's safety-net poll. Default 1 s. */
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
const coalesced = new Counter({
  name: "bridge_ghl_writeback_coalesced_total",
  help: "Score changes folded into a contact's write already pending",
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

/** One lead's pending write. */
interface PendingWrite {
  tenantId: string;
  leadId: string;
  /** Transient failures so far. */
  attempts: number;
  timer?: NodeJS.Timeout;
  /** Queued for its location's next free slot. */
  ready: boolean;
  sending: boolean;
  /** A change arrived while it was being sent: write once more afterwards. */
  changedWhileSending: boolean;
}

interface LocationQueue {
  ready: PendingWrite[];
  inFlight: number;
  wakeTimer?: NodeJS.Timeout;
}

/**
 * Writes leads' scores back to their GHL contacts: `LeadScored` events (under their own
 * consumer) mark a lead changed; after `debounceMs` its current score, tier and best three
 * matches are read from the gateway and written in one `PUT /contacts/{id}`. Changes that
 * arrive while a lead waits fold into its one write (keyed by lead, which mirrors exactly one
 * contact), and a write that meets a 429 or a transient failure goes round again reading the
 * latest values. Each location's writes stay within its budget. Off (no consumer) when no
 * location has a token; locations without one are skipped.
 *
 * Pending writes live in memory: ones not yet sent when the process stops are lost (the log
 * position has moved past them), and are made good by the lead's next score change.
 */
export function ghlWriteBack(options: GhlWriteBackOptions): BridgeProcessing {
  const { config, logger } = options;
  const consumerName = options.consumerName ?? WRITEBACK_CONSUMER;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const concurrency = options.concurrencyPerLocation ?? 4;
  const maxAttempts = options.maxAttempts ?? 8;
  const reader = createLeadScoreReader({ gatewayUrl: options.gatewayUrl, credentials: options.credentials, tenantHeader: TENANT_HEADER, timeoutMs });
  const ghl = createGhlContactsClient({ apiBaseUrl: config.apiBaseUrl, valueKey: config.valueKey, timeoutMs });
  const limiter = createLocationRateLimiter({ budget: options.rateLimit ?? GHL_LOCATION_RATE });
  const pending = new Map<string, PendingWrite>();
  const locations = new Map<string, LocationQueue>();
  const sends = new Set<Promise<void>>();
  let consumer: EventConsumer | undefined;
  let stopped = false;

  const keyOf = (tenantId: string, leadId: string) => `${tenantId}\u0000${leadId}`;

  function queueOf(tenantId: string): LocationQueue {
    let queue = locations.get(tenantId);
    if (!queue) {
      queue = { ready: [], inFlight: 0 };
      locations.set(tenantId, queue);
    }
    return queue;
  }

  function schedule(write: PendingWrite, delayMs: number): void {
    clearTimeout(write.timer);
    write.timer = setTimeout(() => {
      write.timer = undefined;
      write.ready = true;
      queueOf(write.tenantId).ready.push(write);
      pump(write.tenantId);
    }, delayMs);
  }

  function changed(tenantId: string, leadId: string): void {
    const key = keyOf(tenantId, leadId);
    const existing = pending.get(key);
    if (existing) {
      coalesced.inc();
      if (existing.sending) existing.changedWhileSending = true;
      // Waiting or queued: it reads the values when it is sent, so nothing more to do.
      return;
    }
    const write: PendingWrite = { tenantId, leadId, attempts: 0, ready: false, sending: false, changedWhileSending: false };
    pending.set(key, write);
    // Measured from the first change, not the last: a lead rescored without pause is still written every debounce.
    schedule(write, config.debounceMs);
  }

  function pump(tenantId: string): void {
    const queue = queueOf(tenantId);
    if (stopped || queue.wakeTimer) return;
    while (queue.ready.length > 0 && queue.inFlight < concurrency) {
      const acquired = limiter.tryAcquire(tenantId);
      if ("waitMs" in acquired) {
        queue.wakeTimer = setTimeout(() => {
          queue.wakeTimer = undefined;
          pump(tenantId);
        }, acquired.waitMs);
        return;
      }
      const write = queue.ready.shift();
      if (!write) {
        acquired.slot.cancel();
        return;
      }
      write.ready = false;
      write.sending = true;
      queue.inFlight += 1;
      const send = writeLead(write, acquired.slot).finally(() => {
        queue.inFlight -= 1;
        sends.delete(send);
        pump(tenantId);
      });
      sends.add(send);
    }
  }

  function finish(write: PendingWrite): void {
    write.sending = false;
    if (write.changedWhileSending && !stopped) {
      write.changedWhileSending = false;
      write.attempts = 0;
      schedule(write, config.debounceMs);
      return;
    }
    pending.delete(keyOf(write.tenantId, write.leadId));
  }

  function retryLater(write: PendingWrite, reason: string): void {
    write.sending = false;
    write.changedWhileSending = false;
    write.attempts += 1;
    if (write.attempts >= maxAttempts || stopped) {
      logger.error({ tenantId: write.tenantId, leadId: write.leadId, reason, attempts: write.attempts }, "GHL score write-back given up");
      pending.delete(keyOf(write.tenantId, write.leadId));
      return;
    }
    logger.warn({ tenantId: write.tenantId, leadId: write.leadId, reason, attempt: write.attempts }, "GHL score write-back will retry");
    // Full jitter, so a burst of failures does not come back as one.
    schedule(write, Math.floor(Math.random() * Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (write.attempts - 1))));
  }

  async function writeLead(write: PendingWrite, slot: RateSlot): Promise<void> {
    const token = config.tokens[write.tenantId];
    const lookup = await reader.read(write.tenantId, write.leadId);
    if (lookup.kind !== "found" || token === undefined) {
      slot.cancel();
      if (lookup.kind === "retry") return retryLater(write, lookup.reason);
      return finish(write);
    }
    const { outcome, feedback } = await ghl.updateCustomFields(token, lookup.lead.ghlContactId, scoreCustomFields(config.customFieldIds, lookup.lead));
    puts.inc({ outcome: outcome.kind satisfies PutOutcome });
    switch (outcome.kind) {
      case "updated":
        slot.done(feedback);
        return finish(write);
      case "rate_limited":
        rateLimited.inc();
        slot.rateLimited(feedback);
        // Back to the front of its location's queue: the pause is the location's, not the write's.
        write.sending = false;
        write.changedWhileSending = false;
        if (stopped) return void pending.delete(keyOf(write.tenantId, write.leadId));
        write.ready = true;
        queueOf(write.tenantId).ready.unshift(write);
        return;
      case "retry":
        slot.done(feedback);
        return retryLater(write, outcome.reason);
      case "rejected":
        slot.done(feedback);
        logger.error({ tenantId: write.tenantId, leadId: write.leadId, reason: outcome.reason }, "GHL refused a score write-back");
        return finish(write);
    }
  }

  return {
    async start() {
      if (Object.keys(config.tokens).length === 0) {
        logger.info("GHL score write-back off: no location has a token");
        return;
      }
      stopped = false;
      consumer = await startEventConsumer<BridgeDatabase>({
        name: consumerName,
        db: options.db,
        connectionString: options.connectionString,
        logger,
        ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
        async handle(events) {
          for (const event of events) {
            if (event.type === "LeadScored" && Object.prototype.hasOwnProperty.call(config.tokens, event.tenantId)) changed(event.tenantId, event.aggregateId);
          }
        },
      });
    },
    async stop() {
      stopped = true;
      await consumer?.stop();
      consumer = undefined;
      for (const write of pending.values()) clearTimeout(write.timer);
      for (const queue of locations.values()) clearTimeout(queue.wakeTimer);
      await Promise.all([...sends]);
      pending.clear();
      locations.clear();
    },
  };
}
