import type { Kysely } from "kysely";
import { TENANT_HEADER } from "../../../gateway/src/auth/authenticate";
import { withTenant } from "../../../lib/db/tenant";
import { createNotificationListener } from "../../../lib/events/notification-listener";
import type { Logger } from "../../../lib/logger";
import type { BridgeDatabase } from "../database";
import { createGatewayClient, type GatewayClient, type GatewayCredentials, type OperationOutcome } from "./gateway-client";
import { parseGhlEvent } from "../intake/ghl-events";
import { parseWorkflowEvent, WORKFLOW_EVENT_TYPE } from "../intake/workflow-events";
import { createCustomFieldCatalogs, DEFAULT_CATALOG_TTL_MS, type CustomFieldCatalogs } from "../ghl/ghl-custom-fields";
import type { GhlApiAccess } from "../ghl/ghl-api";
import { mapGhlEvent, needsCatalog, type CatalogState, type GatewayOperation, type ParsedInboxEvent } from "./ghl-mapping";
import { INBOX_CHANNEL, claimInbox, finishRow, processingDb, scheduleRetry, type ClaimedRow, type FinalStatus, type ProcessingDatabase } from "./inbox.repository";

/** Exponential backoff between attempts: attempt n waits a random time up to `min(maxMs, baseMs * 2^(n-1))` (full jitter). */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** What {@link startInboxWorkers} needs. */
export interface InboxWorkerOptions {
  /** The app role's handle (row-level security applies). */
  db: Kysely<BridgeDatabase>;
  /** The same database, for the dedicated `LISTEN` connection. */
  connectionString: string;
  /** The gateway's GraphQL endpoint. */
  gatewayUrl: string;
  /** A `tenants:any` + `accounts:manage` service caller. */
  credentials: GatewayCredentials;
  /** Events applied at once (across contacts; one contact's events go one at a time). */
  concurrency: number;
  /** Attempts before a failing event goes DEAD. */
  maxAttempts: number;
  backoff: BackoffPolicy;
  logger: Logger;
  /** How long a claim holds a row; a worker that dies lets it go after this. Longer than a gateway call. Default 60 s. */
  leaseMs?: number;
  /** Safety-net poll for due retries and missed notifications. Default 1 s. */
  pollMs?: number;
  /** Only tenants whose id starts with this: to shard tenants over worker pools (and keep tests apart). Default all. */
  tenantPrefix?: string;
  /** Timeout of one gateway call. Default 10 s. */
  requestTimeoutMs?: number;
  /** GHL's API, to read locations' custom-field catalogs; without it, contacts' custom fields are skipped. */
  ghlApi?: GhlApiAccess;
  /** How long a location's custom-field catalog is used before it is fetched again. Default 10 minutes. */
  catalogTtlMs?: number;
}

/** Running inbox workers. */
export interface InboxWorkers {
  /** Stops claiming and waits for the events in hand. */
  stop(): Promise<void>;
  /** Resolves once nothing is in flight and no row is claimable right now (retries not yet due are not waited for). */
  drain(): Promise<void>;
}

const PRODUCER = "bridge";

/** How an event ended, or that it goes round again. */
type Verdict = { status: FinalStatus; note: string | null } | { status: "RETRY"; error: string };

/** Full-jitter exponential backoff: spreads retries of a burst of failures over the whole window. */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Reads a claimed row's payload back through the schema intake validated it with, once, so
 * the mapping works on typed events. The reason of a payload that no longer fits names
 * fields only, never their values (it is stored as `last_error`).
 */
function parseStoredEvent(row: Pick<ClaimedRow, "type" | "payload">): { ok: true; parsed: ParsedInboxEvent } | { ok: false; reason: string } {
  if (row.type === WORKFLOW_EVENT_TYPE) {
    const result = parseWorkflowEvent(row.payload);
    return result.ok ? { ok: true, parsed: { kind: "workflow", event: result.event } } : { ok: false, reason: `stored payload does not fit: ${result.error}` };
  }
  const result = parseGhlEvent(row.payload);
  if (result.ok) return { ok: true, parsed: { kind: "ghl", event: result.event } };
  if ("unsupported" in result) return { ok: true, parsed: { kind: "unsupported", type: result.type } };
  return { ok: false, reason: `stored payload does not fit: ${result.error}` };
}

/**
 * Runs one operation; an upsert the leads subgraph refuses for some of its fields (rules
 * that depend on the stored lead, which the mapping cannot check) is sent again without them.
 */
async function execute(gateway: GatewayClient, tenantId: string, operation: GatewayOperation, dropped: string[]): Promise<OperationOutcome> {
  const outcome = await gateway.execute(tenantId, operation);
  if (outcome.kind !== "permanent" || operation.kind !== "upsertLead" || !outcome.invalidFields) return outcome;
  const refused = new Set(outcome.invalidFields);
  // Only fields the upsert sent can be left out; an error naming another one would come back again.
  if (refused.has("ghlContactId") || [...refused].some((field) => !Object.prototype.hasOwnProperty.call(operation.input, field))) return outcome;
  const input = Object.fromEntries(Object.entries(operation.input).filter(([field]) => !refused.has(field))) as typeof operation.input;
  dropped.push(...refused);
  return gateway.execute(tenantId, { kind: "upsertLead", input });
}

async function judge(row: ClaimedRow, gateway: GatewayClient, catalogs: CustomFieldCatalogs | undefined): Promise<Verdict> {
  const stored = parseStoredEvent(row);
  if (!stored.ok) return { status: "DEAD", note: stored.reason };
  let catalog: CatalogState | undefined;
  if (needsCatalog(stored.parsed)) {
    const lookup: CatalogState | { kind: "retry"; reason: string } = catalogs ? await catalogs.lookup(row.tenantId) : { kind: "unavailable", reason: "no GHL API access configured" };
    // A catalog that may come on a later attempt is waited for: applying without it would drop the custom fields for good.
    if (lookup.kind === "retry") return { status: "RETRY", error: lookup.reason };
    catalog = lookup;
  }
  const mapping = mapGhlEvent(stored.parsed, { webhookId: row.webhookId, tenantId: row.tenantId, ...(catalog ? { catalog } : {}) });
  if (mapping.kind === "invalid") return { status: "DEAD", note: mapping.reason };
  if (mapping.kind === "ignore") return { status: "IGNORED", note: mapping.reason };
  const skipped: string[] = [];
  const refused: string[] = [];
  for (const operation of mapping.operations) {
    const outcome = await execute(gateway, row.tenantId, operation, refused);
    if (outcome.kind === "retry") return { status: "RETRY", error: outcome.reason };
    if (outcome.kind === "permanent") return { status: "DEAD", note: outcome.reason };
    if (outcome.kind === "skipped") skipped.push(outcome.reason);
  }
  // Skipped parts are kept as a note: an event all of whose parts were refused (an illegal
  // pipeline move) is IGNORED, one that applied anything is APPLIED. So are the fields left
  // out (names only).
  const notes = [
    ...(mapping.notes ?? []),
    ...(refused.length ? [`dropped fields the leads subgraph refused: ${refused.join(", ")}`] : []),
    ...(skipped.length ? [`skipped ${skipped.join("; ")}`] : []),
  ];
  return { status: skipped.length === mapping.operations.length ? "IGNORED" : "APPLIED", note: notes.length ? notes.join("; ") : null };
}

/**
 * Starts the workers that apply stored GHL webhooks through the gateway. They wake on the
 * intake's notification and on a timer, claim due rows (every tenant, each contact in
 * order), apply each as gateway mutations, and record the outcome together with a
 * `WebhookProcessed` event in one transaction.
 */
export async function startInboxWorkers(options: InboxWorkerOptions): Promise<InboxWorkers> {
  const db = processingDb(options.db);
  const { logger, concurrency } = options;
  const leaseMs = options.leaseMs ?? 60_000;
  const gateway = createGatewayClient({
    gatewayUrl: options.gatewayUrl,
    credentials: options.credentials,
    tenantHeader: TENANT_HEADER,
    ...(options.requestTimeoutMs !== undefined ? { timeoutMs: options.requestTimeoutMs } : {}),
  });
  const catalogs = options.ghlApi ? createCustomFieldCatalogs({ api: options.ghlApi, ttlMs: options.catalogTtlMs ?? DEFAULT_CATALOG_TTL_MS }) : undefined;
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let pumping: Promise<number> | undefined;
  let pumpAgain = false;

  async function record(row: ClaimedRow, verdict: Verdict): Promise<void> {
    if (verdict.status === "RETRY") {
      const { error } = verdict;
      if (row.attempts < options.maxAttempts) {
        const next = new Date(Date.now() + backoffDelayMs(options.backoff, row.attempts));
        const scheduled = await withTenant<ProcessingDatabase, boolean>(db, row.tenantId, (trx) => scheduleRetry(trx, row, next, error));
        if (!scheduled) logger.warn({ inboxId: row.id }, "inbox lease lost before retry was scheduled");
        return;
      }
      verdict = { status: "DEAD", note: `gave up after ${row.attempts} attempts: ${error}` };
    }
    // The outcome and its WebhookProcessed event, together.
    if ((await finishRow(db, row, verdict.status, verdict.note, PRODUCER)) === null) {
      // Another worker holds the row now (this one's lease ran out): it records the outcome.
      logger.warn({ inboxId: row.id }, "inbox lease lost before the event was recorded");
      return;
    }
    logger.info({ inboxId: row.id, type: row.type, attempt: row.attempts, outcome: verdict.status }, "webhook processed");
  }

  async function handle(row: ClaimedRow): Promise<void> {
    try {
      await record(row, await judge(row, gateway, catalogs));
    } catch (error) {
      // Left PROCESSING: the lease runs out and the row is claimed again.
      logger.error({ err: error, inboxId: row.id }, "inbox event could not be processed");
    }
  }

  /** Claims into the free slots; true when it filled them all (more may be due). */
  async function claimOnce(): Promise<{ claimed: number; filled: boolean }> {
    const free = concurrency - inFlight.size;
    if (free <= 0 || stopped) return { claimed: 0, filled: false };
    const rows = await claimInbox(db, free, leaseMs, options.tenantPrefix ?? null);
    for (const row of rows) {
      const task: Promise<void> = handle(row).finally(() => {
        inFlight.delete(task);
        // A finished event frees a slot and may unblock the contact's next event.
        if (!stopped) void pump();
      });
      inFlight.add(task);
    }
    return { claimed: rows.length, filled: rows.length === free };
  }

  /** Claims until no slot is free or nothing is claimable; concurrent calls fold into one. */
  function pump(): Promise<number> {
    if (pumping) {
      pumpAgain = true;
      return pumping;
    }
    pumping = (async () => {
      let claimed = 0;
      try {
        do {
          pumpAgain = false;
          const got = await claimOnce();
          claimed += got.claimed;
          // Fewer rows than free slots: nothing else was due then; a wake-up says when.
          if (got.filled && inFlight.size < concurrency) pumpAgain = true;
        } while (pumpAgain && !stopped);
      } catch (error) {
        logger.warn({ err: error }, "claiming inbox rows failed; retrying on the next wake-up");
      } finally {
        pumping = undefined;
      }
      return claimed;
    })();
    return pumping;
  }

  const listener = createNotificationListener({
    connectionString: options.connectionString,
    channel: INBOX_CHANNEL,
    name: "bridge-inbox",
    logger,
    onNotification: () => void pump(),
    // Notifications sent while the listener was down are lost: catch up on (re)connecting.
    onListening: () => void pump(),
  });
  await listener.start();
  const timer = setInterval(() => void pump(), options.pollMs ?? 1000);
  timer.unref();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await listener.stop();
      await pumping;
      await Promise.all([...inFlight]);
    },
    async drain() {
      for (;;) {
        while (pumping || inFlight.size > 0) {
          await pumping;
          await Promise.all([...inFlight]);
        }
        // Idle: one more claim shows whether anything became due meanwhile.
        if ((await pump()) === 0 && inFlight.size === 0) return;
      }
    },
  };
}
