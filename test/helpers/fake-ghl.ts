import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the fake answered. */
export interface FakeGhlCall {
  /** Arrival, in milliseconds from a monotonic origin. */
  at: number;
  method: string;
  path: string;
  /** The location whose token it bore; undefined for an unknown token. */
  location: string | undefined;
  status: number;
  /** The parsed JSON body, when it was JSON. */
  body: unknown;
}

/** A running fake of GHL's contacts API. */
export interface FakeGhl {
  url: string;
  calls: FakeGhlCall[];
  /** Per contact id, the custom field values last written (field id to value). */
  contacts: Map<string, Record<string, unknown>>;
  /** Makes the next `count` custom-field catalog reads fail with 503. */
  failCatalogReads(count: number): void;
  stop(): Promise<void>;
}

/** Options of {@link startFakeGhl}. */
export interface FakeGhlOptions {
  /** Per location, the token it accepts. */
  tokens: Record<string, string>;
  /** Requests per window per location; GHL's is 100 per 10 s. */
  limit?: { requests: number; windowMs: number };
  /** The value key it reads from `customFields` entries. */
  valueKey?: string;
  /** Per location, the custom-field catalog `GET /locations/:id/customFields` lists (default none). */
  catalogs?: Record<string, unknown[]>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Starts a fake GHL on a free port: `PUT /contacts/:id` checks the bearer token (per
 * location) and the `Version` header, enforces the per-location limit over a sliding window
 * of arrivals (answering 429 with GHL's `X-RateLimit-*` headers), stores the custom fields
 * and records every call. `GET /locations/:id/customFields` lists the location's catalog,
 * to its own token only.
 */
export async function startFakeGhl(options: FakeGhlOptions): Promise<FakeGhl> {
  const limit = options.limit ?? { requests: 100, windowMs: 10_000 };
  const valueKey = options.valueKey ?? "fieldValue";
  const locationByToken = new Map(Object.entries(options.tokens).map(([location, token]) => [token, location]));
  const calls: FakeGhlCall[] = [];
  const contacts = new Map<string, Record<string, unknown>>();
  let catalogFailures = 0;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = performance.now();
    const raw = await readBody(request);
    let body: unknown;
    try {
      body = raw === "" ? undefined : JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const path = request.url ?? "";
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
    const location = token === undefined ? undefined : locationByToken.get(token);
    const answer = (status: number, headers: Record<string, string> = {}, payload: unknown = {}) => {
      calls.push({ at, method: request.method ?? "", path, location, status, body });
      response.writeHead(status, { "content-type": "application/json", ...headers });
      response.end(JSON.stringify(payload));
    };
    if (location === undefined) return answer(401, {}, { message: "Invalid token" });
    if (request.headers.version !== "2021-07-28") return answer(400, {}, { message: "Version header required" });
    const catalogMatch = /^\/locations\/([^/?]+)\/customFields$/.exec(path);
    if (request.method === "GET" && catalogMatch?.[1]) {
      if (decodeURIComponent(catalogMatch[1]) !== location) return answer(403, {}, { message: "The token is not authorized for this location" });
      if (catalogFailures > 0) {
        catalogFailures -= 1;
        return answer(503, {}, { message: "Service unavailable" });
      }
      return answer(200, {}, { customFields: options.catalogs?.[location] ?? [] });
    }
    const contactMatch = /^\/contacts\/([^/?]+)$/.exec(path);
    if (request.method !== "PUT" || !contactMatch?.[1]) return answer(404, {}, { message: "Not found" });
    const recent = calls.filter((call) => call.location === location && call.at > at - limit.windowMs).length;
    const remaining = Math.max(0, limit.requests - recent - 1);
    const rateHeaders = { "X-RateLimit-Max": String(limit.requests), "X-RateLimit-Remaining": String(remaining), "X-RateLimit-Interval-Milliseconds": String(limit.windowMs) };
    if (recent >= limit.requests) return answer(429, { ...rateHeaders, "X-RateLimit-Remaining": "0" }, { message: "Too many requests" });
    const fields = isRecord(body) && Array.isArray(body["customFields"]) ? body["customFields"] : undefined;
    if (!fields || !fields.every((field) => isRecord(field) && typeof field["id"] === "string" && valueKey in field)) return answer(422, rateHeaders, { message: "customFields invalid" });
    const contactId = decodeURIComponent(contactMatch[1]);
    const stored = { ...(contacts.get(contactId) ?? {}) };
    for (const field of fields) if (isRecord(field) && typeof field["id"] === "string") stored[field["id"]] = field[valueKey];
    contacts.set(contactId, stored);
    return answer(200, rateHeaders, { contact: { id: contactId } });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    contacts,
    failCatalogReads(count) {
      catalogFailures = count;
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
