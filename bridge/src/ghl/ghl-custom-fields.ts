import { z } from "zod";
import { createCache } from "../../../lib/cache";
import { transportReason } from "../transport-reason";
import { GHL_API_VERSION, type GhlApiAccess } from "./ghl-api";

/** One field of a location's custom-field catalog, as the bridge needs it. */
export interface CatalogField {
  id: string;
  /** Stable key of the field, e.g. `contact.budget_max`. */
  fieldKey: string;
}

/** A location's catalog: its custom fields by id. */
export type CustomFieldCatalog = ReadonlyMap<string, CatalogField>;

/** What a catalog lookup came to. */
export type CatalogLookup =
  | { kind: "catalog"; fields: CustomFieldCatalog }
  /** No catalog will come for now (no token, or GHL refused it): custom fields are skipped. */
  | { kind: "unavailable"; reason: string }
  /** A failure that may pass (transport, 429, 5xx): the event is worth another attempt. */
  | { kind: "retry"; reason: string };

/** Reads locations' custom-field catalogs. */
export interface CustomFieldCatalogs {
  lookup(locationId: string): Promise<CatalogLookup>;
}

/** How long a fetched catalog is used before it is fetched again. */
export const DEFAULT_CATALOG_TTL_MS = 10 * 60_000;

const catalogSchema = z.object({
  customFields: z.array(z.looseObject({ id: z.string(), fieldKey: z.string().optional() })),
});

/**
 * Creates the catalog reader: `GET /locations/{locationId}/customFields` with the location's
 * own token, cached per location for `ttlMs`. Concurrent lookups of one location share one
 * fetch; failures are not cached. Reasons name status codes, never bodies or tokens.
 */
export function createCustomFieldCatalogs(options: { api: GhlApiAccess; ttlMs?: number; timeoutMs?: number; maxLocations?: number }): CustomFieldCatalogs {
  const { api } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const cache = createCache<CustomFieldCatalog>({ name: "ghl_custom_field_catalogs", maxEntries: options.maxLocations ?? 10_000, ttlMs: options.ttlMs ?? DEFAULT_CATALOG_TTL_MS });
  const inFlight = new Map<string, Promise<CatalogLookup>>();

  async function fetchCatalog(locationId: string, token: string): Promise<CatalogLookup> {
    let response: Response;
    let body: unknown;
    try {
      response = await fetch(`${api.apiBaseUrl}/locations/${encodeURIComponent(locationId)}/customFields`, {
        headers: { authorization: `Bearer ${token}`, version: GHL_API_VERSION, accept: "application/json" },
        signal: AbortSignal.timeout(timeoutMs),
      });
      body = await response.json().catch(() => undefined);
    } catch (error) {
      return { kind: "retry", reason: `custom-field catalog: ${transportReason(error)}` };
    }
    const status = response.status;
    if (status === 401 || status === 403 || status === 404) return { kind: "unavailable", reason: `GHL refused the custom-field catalog (HTTP ${status})` };
    if (!response.ok) return { kind: "retry", reason: `custom-field catalog: HTTP ${status}` };
    const parsed = catalogSchema.safeParse(body);
    if (!parsed.success) return { kind: "retry", reason: "custom-field catalog: HTTP 200 without a catalog" };
    const fields = new Map<string, CatalogField>();
    for (const field of parsed.data.customFields) if (field.fieldKey !== undefined) fields.set(field.id, { id: field.id, fieldKey: field.fieldKey });
    cache.set(locationId, fields);
    return { kind: "catalog", fields };
  }

  return {
    lookup(locationId) {
      const token = Object.prototype.hasOwnProperty.call(api.tokens, locationId) ? api.tokens[locationId] : undefined;
      if (token === undefined) return Promise.resolve({ kind: "unavailable", reason: "no GHL API token for the location" });
      const cached = cache.get(locationId);
      if (cached) return Promise.resolve({ kind: "catalog", fields: cached });
      let pending = inFlight.get(locationId);
      if (!pending) {
        pending = fetchCatalog(locationId, token).finally(() => inFlight.delete(locationId));
        inFlight.set(locationId, pending);
      }
      return pending;
    },
  };
}
