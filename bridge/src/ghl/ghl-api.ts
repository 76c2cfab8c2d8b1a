/**
 * How the bridge reaches GHL's REST API: the base URL and each location's token. The score
 * write-back's settings (`GHL_API_BASE_URL`, `GHL_LOCATION_TOKENS`) have this shape, so every
 * reader of GHL uses the same tokens.
 */
export interface GhlApiAccess {
  apiBaseUrl: string;
  /** Per location id, its API token; a location without one is never called. */
  tokens: Readonly<Record<string, string>>;
}

/** The `Version` header GHL requires on its contacts, opportunities, locations and custom-field endpoints. */
export const GHL_API_VERSION = "2021-07-28";
