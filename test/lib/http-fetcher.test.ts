import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { httpFetcher } from "../../lib/http/http-fetcher";

/** A real HTTP server on port 0 answering with `handler`; what it received is kept. */
async function serve(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<{ url: string; server: Server; received: Array<{ method: string; headers: IncomingMessage["headers"]; body: string; socket: number }> }> {
  const received: Array<{ method: string; headers: IncomingMessage["headers"]; body: string; socket: number }> = [];
  const sockets = new Map<object, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      if (!sockets.has(req.socket)) sockets.set(req.socket, sockets.size + 1);
      received.push({ method: req.method ?? "", headers: req.headers, body, socket: sockets.get(req.socket) ?? 0 });
      handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, server, received };
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe("httpFetcher", () => {
  it("sends the method, headers and body, and reads status, headers and a JSON body", async () => {
    const { url, server, received } = await serve((_req, body, res) => {
      res.writeHead(201, "Made", { "content-type": "application/json", "x-echo": "yes" });
      res.end(JSON.stringify({ echoed: JSON.parse(body) as unknown }));
    });
    try {
      const response = await httpFetcher(url, { method: "POST", headers: { "content-type": "application/json", "x-hub-tenant": "t1" }, body: JSON.stringify({ query: "{ a }" }) });
      expect(response.status).toBe(201);
      expect(response.ok).toBe(true);
      expect(response.statusText).toBe("Made");
      expect(response.headers.get("Content-Type")).toBe("application/json");
      expect(response.headers.get("x-echo")).toBe("yes");
      // The body can be read from a clone and from the original, once each.
      expect(await response.clone().text()).toBe('{"echoed":{"query":"{ a }"}}');
      expect(await response.json()).toEqual({ echoed: { query: "{ a }" } });
      expect(response.bodyUsed).toBe(true);
      await expect(response.text()).rejects.toThrow(TypeError);
      expect(received).toEqual([expect.objectContaining({ method: "POST", body: '{"query":"{ a }"}', headers: expect.objectContaining({ "x-hub-tenant": "t1", "content-length": "17" }) })]);
    } finally {
      await close(server);
    }
  });

  it("reports a status outside 2xx as not ok, with its body", async () => {
    const { url, server } = await serve((_req, _body, res) => {
      res.writeHead(503, { "content-type": "text/plain" });
      res.end("down");
    });
    try {
      const response = await httpFetcher(url, { method: "POST", body: "{}" });
      expect([response.status, response.ok, await response.text()]).toEqual([503, false, "down"]);
    } finally {
      await close(server);
    }
  });

  it("reuses one kept-alive connection for requests made one after another", async () => {
    const { url, server, received } = await serve((_req, _body, res) => res.end("{}"));
    try {
      for (let i = 0; i < 3; i++) await (await httpFetcher(url, { method: "POST", body: "{}" })).text();
      expect(received.map((request) => request.socket)).toEqual([1, 1, 1]);
    } finally {
      server.closeAllConnections();
      await close(server);
    }
  });

  it("rejects with the signal's reason when the signal aborts before the answer", async () => {
    const { url, server } = await serve(() => undefined);
    try {
      await expect(httpFetcher(url, { method: "POST", body: "{}", signal: AbortSignal.timeout(100) })).rejects.toMatchObject({ name: "TimeoutError" });
      const aborted = new AbortController();
      aborted.abort(new Error("gone"));
      await expect(httpFetcher(url, { signal: aborted.signal })).rejects.toThrow("gone");
    } finally {
      server.closeAllConnections();
      await close(server);
    }
  });

  it("rejects with the system error code when nothing listens", async () => {
    const { url, server } = await serve(() => undefined);
    await close(server);
    await expect(httpFetcher(url, { method: "POST", body: "{}" })).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
