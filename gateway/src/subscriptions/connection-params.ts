import type { Credentials } from "../auth/authenticate";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isOptionalString(value: unknown): value is string | undefined {
  return value === undefined || typeof value === "string";
}

/**
 * The credentials a WebSocket client sends in `connection_init`'s payload, named like the
 * HTTP headers they stand for (browsers cannot set headers on a WebSocket):
 * `authorization` ("Bearer <JWT>"), `apiKey`, and `tenant` for `tenants:any` callers.
 * Undefined when the payload is missing or any of them is not a string.
 */
export function credentialsFromConnectionParams(params: unknown): Credentials | undefined {
  if (!isRecord(params)) return undefined;
  const { authorization, apiKey, tenant } = params;
  if (!isOptionalString(authorization) || !isOptionalString(apiKey) || !isOptionalString(tenant)) return undefined;
  return { authorization, apiKey, tenant };
}
