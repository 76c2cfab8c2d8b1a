import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Fetcher, FetcherRequestInit, FetcherResponse } from "@apollo/utils.fetcher";

/**
 * A `fetch` for calls between our own services (the gateway to its subgraphs, the bridge to
 * the gateway) on Node's `http`/`https` request and its global agent, which keeps
 * connections alive and pools them per origin. WHATWG fetch and make-fetch-happen cost
 * three to four times its CPU per request (web streams, a stack trace per request), paid on
 * every hop of every mutation and subscription event.
 *
 * The response body is read whole before the promise resolves: these are GraphQL
 * responses, read whole anyway.
 */
export const httpFetcher: Fetcher = (url, init) => send(new URL(url), init ?? {});

function send(url: URL, init: FetcherRequestInit): Promise<FetcherResponse> {
  const signal: AbortSignal | undefined = init.signal instanceof AbortSignal ? init.signal : undefined;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<FetcherResponse>((resolve, reject) => {
    const body = init.body === undefined ? undefined : typeof init.body === "string" ? Buffer.from(init.body) : init.body;
    const headers: Record<string, string | number> = { ...init.headers };
    if (body !== undefined) headers["content-length"] = body.length;
    const outgoing = request(url, { method: init.method ?? "GET", headers }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("end", () => {
        signal?.removeEventListener("abort", abort);
        resolve(bufferedResponse(url.href, incoming, Buffer.concat(chunks)));
      });
      incoming.on("error", reject);
    });
    // Rejects with the signal's reason as given, as fetch does (a TimeoutError for AbortSignal.timeout).
    const abort = () => {
      outgoing.destroy();
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", abort, { once: true });
    outgoing.on("error", (error) => {
      signal?.removeEventListener("abort", abort);
      reject(error);
    });
    outgoing.end(body);
  });
}

function responseHeaders(incoming: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
}

function bufferedResponse(url: string, incoming: IncomingMessage, body: Buffer): FetcherResponse {
  const status = incoming.statusCode ?? 0;
  const statusText = incoming.statusMessage ?? "";
  const headers = responseHeaders(incoming);
  const make = (): FetcherResponse => {
    let used = false;
    const take = (): Buffer => {
      if (used) throw new TypeError("body used already");
      used = true;
      return body;
    };
    return {
      get bodyUsed() {
        return used;
      },
      url,
      redirected: false,
      status,
      ok: status >= 200 && status < 300,
      statusText,
      headers,
      async arrayBuffer() {
        const bytes = take();
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      },
      async text() {
        return take().toString("utf8");
      },
      async json(): Promise<unknown> {
        return JSON.parse(take().toString("utf8"));
      },
      clone: make,
    };
  };
  return make();
}
