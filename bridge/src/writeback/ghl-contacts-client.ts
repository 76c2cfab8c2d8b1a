import { GHL_API_VERSION } from "../ghl/ghl-api";
import { transportReason } from "../transport-reason";
import type { CustomFieldValueKey } from "./writeback-config";
import type { RateFeedback } from "./location-rate-limiter";

/** One custom field's new value. */
export interface CustomFieldValue {
  id: string;
  value: string | number;
}

/** How one PUT ended. */
export type ContactUpdateOutcome =
  | { kind: "updated" }
  /** 429: GHL wants the location to slow down. */
  | { kind: "rate_limited" }
  /** A failure that may pass (transport, timeout, 5xx). */
  | { kind: "retry"; reason: string }
  /** A failure that never will (a refused token, an unknown contact, a rejected body). */
  | { kind: "rejected"; reason: string };

/** The answer to one PUT: its outcome and what GHL said about the location's budget. */
export interface ContactUpdateResult {
  outcome: ContactUpdateOutcome;
  feedback: RateFeedback;
}

/** Writes custom fields of GHL contacts. */
export interface GhlContactsClient {
  updateCustomFields(token: string, contactId: string, fields: readonly CustomFieldValue[]): Promise<ContactUpdateResult>;
}

function headerNumber(headers: Headers, name: string): number | undefined {
  const raw = headers.get(name);
  if (raw === null || raw.trim() === "") return undefined;
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** GHL's budget headers, each only when it holds a number. */
export function rateFeedbackOf(headers: Headers): RateFeedback {
  const max = headerNumber(headers, "x-ratelimit-max");
  const remaining = headerNumber(headers, "x-ratelimit-remaining");
  const intervalMs = headerNumber(headers, "x-ratelimit-interval-milliseconds");
  return { ...(max !== undefined ? { max } : {}), ...(remaining !== undefined ? { remaining } : {}), ...(intervalMs !== undefined ? { intervalMs } : {}) };
}


/**
 * Creates the GHL contacts client. Node's global fetch pools kept-alive connections per
 * origin, so every write shares one pool to GHL. Reasons name status codes, never bodies or
 * tokens.
 */
export function createGhlContactsClient(options: { apiBaseUrl: string; valueKey: CustomFieldValueKey; timeoutMs?: number }): GhlContactsClient {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    async updateCustomFields(token, contactId, fields) {
      let response: Response;
      try {
        response = await fetch(`${options.apiBaseUrl}/contacts/${encodeURIComponent(contactId)}`, {
          method: "PUT",
          headers: { authorization: `Bearer ${token}`, version: GHL_API_VERSION, "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify({ customFields: fields.map((field) => ({ id: field.id, [options.valueKey]: field.value })) }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        // Drained so the connection goes back to the pool.
        await response.arrayBuffer();
      } catch (error) {
        return { outcome: { kind: "retry", reason: transportReason(error) }, feedback: {} };
      }
      const feedback = rateFeedbackOf(response.headers);
      if (response.ok) return { outcome: { kind: "updated" }, feedback };
      if (response.status === 429) return { outcome: { kind: "rate_limited" }, feedback };
      const reason = `PUT contact: HTTP ${response.status}`;
      // 408 and 5xx may pass; any other refusal is about the request, which a retry repeats.
      if (response.status === 408 || response.status >= 500) return { outcome: { kind: "retry", reason }, feedback };
      return { outcome: { kind: "rejected", reason }, feedback };
    },
  };
}
