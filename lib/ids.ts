import { randomUUID } from "node:crypto";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A time-ordered UUID v7 (RFC 9562), so new rows land at the right end of B-tree indexes.
 * Its random bits (74, after the 48-bit millisecond time) come from a v4 UUID, whose
 * generator draws entropy in batches, instead of a system call for every id.
 */
export function uuidv7(now = Date.now()): string {
  const time = now.toString(16).padStart(12, "0");
  // From a v4 UUID: its version digit becomes 7; the variant bits are RFC 9562's already.
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
}

/**
 * A UUID v7 derived from a time and a unique non-negative integer (a log position) instead
 * of random bits: the same inputs give the same id, so a row projected again gets its old id.
 */
export function uuidv7From(time: number, unique: number): string {
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(time, 0, 6);
  bytes.writeUIntBE(unique, 10, 6);
  bytes[6] = 0x70;
  bytes[8] = 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Type guard for a textual UUID (any version). */
export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}

const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Type guard for a tenant id (a GHL location id). */
export function isTenantId(value: unknown): value is string {
  return typeof value === "string" && TENANT_ID.test(value);
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Type guard for a request id a caller may pass on (so one id crosses service boundaries). */
export function isRequestId(value: unknown): value is string {
  return typeof value === "string" && REQUEST_ID.test(value);
}
