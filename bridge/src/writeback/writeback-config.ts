import { ConfigError, envInt, envString } from "../../../lib/config";
import { isTenantId } from "../../../lib/ids";

type Env = Readonly<Record<string, string | undefined>>;

/** GHL's public API, where the write-back goes unless told otherwise. */
export const DEFAULT_GHL_API_BASE_URL = "https://services.leadconnectorhq.com";
/** How long a changed score waits for further changes before it is written. */
export const DEFAULT_WRITEBACK_DEBOUNCE_MS = 2_000;

/** The name of the value in a `customFields` entry: GHL's current docs say `fieldValue`, older ones `field_value`. */
export type CustomFieldValueKey = "fieldValue" | "field_value";

/** The GHL custom fields a lead's score is written to. */
export interface ScoreCustomFieldIds {
  score: string;
  tier: string;
  /** A short text naming the lead's best property matches. */
  matches: string;
}

/** How scores are written back to GHL contacts. */
export interface GhlWriteBackConfig {
  apiBaseUrl: string;
  /** Per location id, its API token; a location without one is never written to. */
  tokens: Record<string, string>;
  customFieldIds: ScoreCustomFieldIds;
  valueKey: CustomFieldValueKey;
  /** How long a contact's first pending change waits for later ones before its one write. */
  debounceMs: number;
}

const FIELD_NAMES: readonly (keyof ScoreCustomFieldIds)[] = ["score", "tier", "matches"];
const CUSTOM_FIELD_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** `a=b,c=d` into pairs; a part without `=` is a pair with an empty key, left for the caller to refuse. */
function pairs(raw: string): [string, string][] {
  return raw
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map((part) => {
      const separator = part.indexOf("=");
      return separator < 0 ? ["", ""] : [part.slice(0, separator).trim(), part.slice(separator + 1).trim()];
    });
}

function tokenMap(raw: string, name: string): Record<string, string> {
  const tokens: Record<string, string> = {};
  for (const [location, token] of pairs(raw)) {
    // The value is never echoed: it holds tokens.
    if (!isTenantId(location) || token === "") throw new ConfigError(`${name} must be location=token pairs separated by commas, each location a GHL location id`);
    if (location in tokens) throw new ConfigError(`${name} names ${location} twice`);
    tokens[location] = token;
  }
  return tokens;
}

function isFieldName(value: string): value is keyof ScoreCustomFieldIds {
  return (FIELD_NAMES as readonly string[]).includes(value);
}

function fieldIds(raw: string, name: string): ScoreCustomFieldIds {
  const ids: Partial<ScoreCustomFieldIds> = {};
  for (const [field, id] of pairs(raw)) {
    if (!isFieldName(field) || !CUSTOM_FIELD_ID.test(id)) throw new ConfigError(`${name} must be score=<id>,tier=<id>,matches=<id>; got "${raw}"`);
    if (ids[field] !== undefined) throw new ConfigError(`${name} names ${field} twice`);
    ids[field] = id;
  }
  const { score, tier, matches } = ids;
  if (score === undefined || tier === undefined || matches === undefined) {
    throw new ConfigError(`${name} must name all of ${FIELD_NAMES.join(", ")}; missing ${FIELD_NAMES.filter((field) => ids[field] === undefined).join(", ")}`);
  }
  return { score, tier, matches };
}

function apiBaseUrl(env: Env, name: string): string {
  const raw = envString(env, name, DEFAULT_GHL_API_BASE_URL) ?? DEFAULT_GHL_API_BASE_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL; got "${raw}"`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new ConfigError(`${name} must be an http(s) URL; got "${raw}"`);
  // Paths are appended to it, so a trailing slash would double up.
  return raw.replace(/\/+$/, "");
}

/**
 * Reads the score write-back settings: `GHL_LOCATION_TOKENS` (`location=token,...`),
 * `GHL_SCORE_FIELD_IDS` (`score=<id>,tier=<id>,matches=<id>`), `GHL_API_BASE_URL` (default
 * GHL's public API), `GHL_CUSTOM_FIELD_VALUE_KEY` (`fieldValue` or `field_value`, default
 * `fieldValue`) and `GHL_WRITEBACK_DEBOUNCE_MS` (default 2 s). Returns null when no location
 * has a token: the write-back is off and nothing else is required. Throws {@link ConfigError}
 * naming the variable at fault, never echoing a token.
 */
export function readGhlWriteBackConfig(env: Env): GhlWriteBackConfig | null {
  const tokensRaw = envString(env, "GHL_LOCATION_TOKENS");
  const tokens = tokensRaw === undefined ? {} : tokenMap(tokensRaw, "GHL_LOCATION_TOKENS");
  if (Object.keys(tokens).length === 0) return null;
  const fieldsRaw = envString(env, "GHL_SCORE_FIELD_IDS");
  if (fieldsRaw === undefined) throw new ConfigError("GHL_SCORE_FIELD_IDS is required: GHL_LOCATION_TOKENS turns the score write-back on, and it must know which custom fields to write");
  const valueKey = envString(env, "GHL_CUSTOM_FIELD_VALUE_KEY", "fieldValue");
  if (valueKey !== "fieldValue" && valueKey !== "field_value") throw new ConfigError(`GHL_CUSTOM_FIELD_VALUE_KEY must be fieldValue or field_value; got "${valueKey ?? ""}"`);
  return {
    apiBaseUrl: apiBaseUrl(env, "GHL_API_BASE_URL"),
    tokens,
    customFieldIds: fieldIds(fieldsRaw, "GHL_SCORE_FIELD_IDS"),
    valueKey,
    debounceMs: envInt(env, "GHL_WRITEBACK_DEBOUNCE_MS", DEFAULT_WRITEBACK_DEBOUNCE_MS),
  };
}
