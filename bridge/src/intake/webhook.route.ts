import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Kysely } from "kysely";
import { Counter, Histogram } from "prom-client";
import { ErrorCode } from "../../../lib/errors";
import { BodyTooLarge, readBodyBytes, sendError, sendJson, type HttpRoutes } from "../../../lib/http/http-server";
import { isTenantId } from "../../../lib/ids";
import type { Logger } from "../../../lib/logger";
import { metricsRegistry } from "../../../lib/metrics";
import type { BridgeDatabase } from "../database";
import { companyAppEventSchema, companyInboxKey, contactKeyOf, describeIssues, ghlEnvelopeSchema, parseGhlEvent, type CompanyAppEvent } from "./ghl-events";
import { storeInboxEntry, type NewInboxEntry } from "./inbox.repository";
import type { SignatureVerifier } from "./signature";
import { parseWorkflowEvent, WORKFLOW_EVENT_TYPE, workflowTimestamp, workflowWebhookId } from "./workflow-events";

/** Path of GHL's signed webhooks. */
export const GHL_WEBHOOK_PATH = "/webhooks/ghl";
/** Prefix of the unsigned workflow webhooks; the location id follows. */
export const WORKFLOW_WEBHOOK_PREFIX = "/webhooks/ghl/workflow/";
/** Header carrying a location's workflow secret. */
export const WORKFLOW_SECRET_HEADER = "x-hub-workflow-secret";
/** Largest delivery accepted; GHL's bodies are a few KiB. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;
/** How far in the future a delivery's `timestamp` may be (clocks differ a little). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** What a 429 asks GHL to wait; GHL retries on its own schedule (about 10 minutes) regardless. */
const RETRY_AFTER_SECONDS = "60";

/** What happened to one delivery: the label of `bridge_webhooks_received_total`. */
export type IntakeOutcome = "accepted" | "duplicate" | "ignored" | "unauthorized" | "stale" | "malformed" | "too_large" | "unavailable";

const received = new Counter({
  name: "bridge_webhooks_received_total",
  help: "GHL webhook deliveries received, by outcome",
  labelNames: ["outcome"],
  registers: [metricsRegistry],
});
const intakeSeconds = new Histogram({
  name: "bridge_webhook_intake_duration_seconds",
  help: "Time from a webhook's arrival to its answer (verification and durable storage included)",
  labelNames: ["route", "outcome"],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [metricsRegistry],
});

/** What the webhook routes need. */
export interface WebhookRouteOptions {
  db: Kysely<BridgeDatabase>;
  verifier: SignatureVerifier;
  /** Oldest `timestamp` accepted, in milliseconds before now. */
  maxAgeMs: number;
  /** Per location id, the shared secret its workflow webhooks must present. */
  workflowSecrets: Readonly<Record<string, string>>;
  logger: Logger;
  now?: () => number;
}

/** The outcomes of a delivery that reached the inbox. */
type StoredOutcome = Extract<IntakeOutcome, "accepted" | "duplicate" | "ignored">;

const STATUS: Record<IntakeOutcome, number> = {
  accepted: 200,
  duplicate: 200,
  ignored: 202,
  unauthorized: 401,
  stale: 401,
  malformed: 400,
  too_large: 413,
  unavailable: 429,
};

/** Thrown inside a handler to end the delivery with a client-facing refusal. */
class Refusal extends Error {
  override readonly name = "Refusal";
  constructor(
    readonly outcome: Exclude<IntakeOutcome, StoredOutcome>,
    message: string,
  ) {
    super(message);
  }
}

const ERROR_CODE: Record<Refusal["outcome"], ErrorCode> = {
  unauthorized: ErrorCode.UNAUTHENTICATED,
  stale: ErrorCode.UNAUTHENTICATED,
  malformed: ErrorCode.BAD_REQUEST,
  too_large: ErrorCode.PAYLOAD_TOO_LARGE,
  unavailable: ErrorCode.TEMPORARILY_UNAVAILABLE,
};

/** Type guard: a Postgres error about the data itself (SQLSTATE class 22), which no retry can fix. */
function isDataException(error: unknown): boolean {
  if (typeof error !== "object" || error === null || !("code" in error)) return false;
  const code = (error as { code: unknown }).code;
  return typeof code === "string" && code.startsWith("22");
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/**
 * Creates the intake routes: `POST /webhooks/ghl` (signed GHL deliveries) and
 * `POST /webhooks/ghl/workflow/:locationId` (unsigned workflow deliveries, guarded by a
 * per-location secret). A delivery is answered 2xx only once it is durably in the inbox;
 * every failure of our own is 429, the only status GHL retries.
 */
export function createWebhookRoutes(options: WebhookRouteOptions): HttpRoutes {
  const { db, verifier, logger } = options;
  const now = options.now ?? Date.now;
  // Hashes compared, not the secrets: timingSafeEqual needs equal lengths, and comparing
  // fixed-length digests leaks neither a secret's length nor how much of it matched.
  const secretHashes = new Map(Object.entries(options.workflowSecrets).map(([location, secret]) => [location, sha256(secret)]));
  // An unknown location is compared against this, so it takes as long as a wrong secret.
  const unknownLocationHash = sha256(randomBytes(32).toString("hex"));

  async function readLimited(req: IncomingMessage): Promise<Buffer> {
    try {
      return await readBodyBytes(req, MAX_WEBHOOK_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLarge) throw new Refusal("too_large", `body exceeds ${MAX_WEBHOOK_BYTES} bytes`);
      throw error;
    }
  }

  function parseJson(body: Buffer): unknown {
    try {
      return JSON.parse(body.toString("utf8"));
    } catch {
      throw new Refusal("malformed", "body is not valid JSON");
    }
  }

  async function store(entry: NewInboxEntry): Promise<"stored" | "duplicate"> {
    try {
      return await storeInboxEntry(db, entry);
    } catch (error) {
      // Text Postgres cannot hold in jsonb (a \u0000 escape): the same body would fail on
      // every retry, so it is refused as malformed rather than deferred.
      if (isDataException(error)) throw new Refusal("malformed", "body cannot be stored as JSON");
      throw error;
    }
  }

  function securityRefusal(req: IncomingMessage, requestId: string, outcome: "unauthorized" | "stale", reason: string, bytes: number): Refusal {
    // Never the body: a forged delivery's contents are not ours to log.
    logger.warn({ security: true, requestId, reason, outcome, path: new URL(req.url ?? "/", "http://localhost").pathname, remoteAddress: req.socket.remoteAddress, bytes }, "webhook refused");
    return new Refusal(outcome, outcome === "stale" ? "timestamp outside the accepted window" : "missing or invalid signature");
  }

  async function handleSigned(req: IncomingMessage, requestId: string): Promise<StoredOutcome> {
    const body = await readLimited(req);
    const signature = verifier.verify(body, req.headers);
    if (!signature.ok) throw securityRefusal(req, requestId, "unauthorized", signature.reason, body.length);

    const payload = parseJson(body);
    const envelope = ghlEnvelopeSchema.safeParse(payload);
    if (!envelope.success) {
      const company = companyAppEventSchema.safeParse(payload);
      if (company.success) return storeCompanyEvent(req, requestId, company.data, body);
      throw new Refusal("malformed", describeIssues(envelope.error));
    }
    const emitted = Date.parse(envelope.data.timestamp);
    checkFreshness(req, requestId, emitted, body.length);

    const parsed = parseGhlEvent(payload);
    if (!parsed.ok && !("unsupported" in parsed)) throw new Refusal("malformed", parsed.error);
    const supported = parsed.ok;
    const outcome = await store({
      webhookId: envelope.data.webhookId,
      tenantId: envelope.data.locationId,
      type: envelope.data.type,
      contactKey: parsed.ok ? contactKeyOf(parsed.event) : null,
      eventTimestamp: new Date(emitted),
      payloadJson: body.toString("utf8"),
      status: supported ? "PENDING" : "IGNORED",
    });
    if (outcome === "duplicate") return "duplicate";
    return supported ? "accepted" : "ignored";
  }

  function checkFreshness(req: IncomingMessage, requestId: string, emitted: number, bytes: number): void {
    const age = now() - emitted;
    if (age > options.maxAgeMs || -age > MAX_CLOCK_SKEW_MS) throw securityRefusal(req, requestId, "stale", age > 0 ? "too_old" : "in_future", bytes);
  }

  /**
   * Keeps a company-level install or removal as IGNORED, apart from every tenant: there is no
   * location to provision or deactivate. Verified and replay-checked like any delivery.
   */
  async function storeCompanyEvent(req: IncomingMessage, requestId: string, event: CompanyAppEvent, body: Buffer): Promise<StoredOutcome> {
    const emitted = Date.parse(event.timestamp);
    checkFreshness(req, requestId, emitted, body.length);
    const outcome = await store({
      webhookId: event.webhookId,
      tenantId: companyInboxKey(event.companyId),
      type: event.type,
      contactKey: null,
      eventTimestamp: new Date(emitted),
      payloadJson: body.toString("utf8"),
      status: "IGNORED",
      note: `company-level ${event.type} (no locationId): no tenant to act for`,
    });
    if (outcome === "duplicate") return "duplicate";
    logger.info({ requestId, companyId: event.companyId, type: event.type }, "company-level app event kept as ignored");
    return "ignored";
  }

  async function handleWorkflow(req: IncomingMessage, requestId: string, location: string | null): Promise<StoredOutcome> {
    const body = await readLimited(req);
    const given = req.headers[WORKFLOW_SECRET_HEADER];
    const expected = location === null ? undefined : secretHashes.get(location);
    const matches = timingSafeEqual(expected ?? unknownLocationHash, sha256(typeof given === "string" ? given : ""));
    if (!matches || location === null || expected === undefined || typeof given !== "string") {
      throw securityRefusal(req, requestId, "unauthorized", expected === undefined ? "unknown_location" : "wrong_secret", body.length);
    }
    const parsed = parseWorkflowEvent(parseJson(body));
    if (!parsed.ok) throw new Refusal("malformed", parsed.error);
    const receivedAt = new Date(now());
    const outcome = await store({
      webhookId: workflowWebhookId(parsed.event, body),
      tenantId: location,
      type: WORKFLOW_EVENT_TYPE,
      contactKey: parsed.event.contact_id ?? null,
      eventTimestamp: workflowTimestamp(parsed.event, receivedAt),
      payloadJson: body.toString("utf8"),
      status: "PENDING",
    });
    return outcome === "duplicate" ? "duplicate" : "accepted";
  }

  /** The location id of a workflow path, or null when the path holds none that could be a tenant. */
  function workflowLocation(pathname: string): string | null {
    const segment = pathname.slice(WORKFLOW_WEBHOOK_PREFIX.length);
    return isTenantId(segment) ? segment : null;
  }

  async function answer(res: ServerResponse, requestId: string, route: "ghl" | "workflow", handler: () => Promise<StoredOutcome>): Promise<void> {
    const started = performance.now();
    let outcome: IntakeOutcome;
    try {
      outcome = await handler();
      sendJson(res, STATUS[outcome], { status: outcome }, { "x-request-id": requestId });
    } catch (error) {
      let refusal: Refusal;
      if (error instanceof Refusal) {
        refusal = error;
        if (refusal.outcome === "malformed") logger.warn({ requestId, route, reason: refusal.message }, "webhook refused as malformed");
      } else {
        // Whatever failed (the database, a bug), GHL must try again later: any other status loses the event.
        logger.error({ err: error, requestId, route }, "webhook intake failed; asking GHL to retry");
        refusal = new Refusal("unavailable", "temporarily unavailable; retry later");
      }
      outcome = refusal.outcome;
      // The rest of an oversized body is not read; close the connection rather than drain it.
      if (refusal.outcome === "too_large") res.setHeader("connection", "close");
      const headers: Record<string, string> = refusal.outcome === "unavailable" ? { "retry-after": RETRY_AFTER_SECONDS } : {};
      if (!res.headersSent) sendError(res, STATUS[refusal.outcome], ERROR_CODE[refusal.outcome], refusal.message, requestId, headers);
    }
    received.inc({ outcome });
    intakeSeconds.observe({ route, outcome }, (performance.now() - started) / 1000);
  }

  return async (req, res, requestId, url) => {
    const signed = url.pathname === GHL_WEBHOOK_PATH;
    const workflow = url.pathname.startsWith(WORKFLOW_WEBHOOK_PREFIX);
    if (!signed && !workflow) return false;
    if (req.method !== "POST") {
      sendError(res, 405, ErrorCode.BAD_REQUEST, "webhooks are POSTed", requestId, { allow: "POST" });
      return true;
    }
    if (signed) {
      await answer(res, requestId, "ghl", () => handleSigned(req, requestId));
      return true;
    }
    await answer(res, requestId, "workflow", () => handleWorkflow(req, requestId, workflowLocation(url.pathname)));
    return true;
  };
}
