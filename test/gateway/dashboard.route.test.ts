import { readFileSync } from "node:fs";
import { createServer, request, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { DASHBOARD_CSP, serveDashboard } from "../../gateway/src/dashboard/dashboard.route";

const SOURCE_DIR = join(__dirname, "../../gateway/src/dashboard");
const UMD_BUNDLE = join(dirname(require.resolve("graphql-ws/package.json")), "umd", "graphql-ws.min.js");

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    // What the route does not take, the rest of the server would: a marker stands in for it.
    if (!serveDashboard(req, res)) {
      res.writeHead(299, { "content-type": "text/plain" });
      res.end("not the dashboard's");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A raw request: fetch would normalise paths such as `/dashboard/../x` before sending them. */
function send(path: string, method = "GET", headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

function expectHardened(reply: Reply): void {
  expect(reply.headers["content-security-policy"]).toBe(DASHBOARD_CSP);
  expect(reply.headers["x-content-type-options"]).toBe("nosniff");
  expect(reply.headers["cache-control"]).toBe("no-cache");
}

describe("serveDashboard", () => {
  it.each(["/dashboard", "/dashboard/", "/dashboard?from=bookmark"])("serves the page at %s", async (path) => {
    const reply = await send(path);
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("text/html; charset=utf-8");
    expectHardened(reply);
    expect(reply.body).toBe(readFileSync(join(SOURCE_DIR, "index.html"), "utf8"));
  });

  it.each([
    ["/dashboard/dashboard.js", "text/javascript; charset=utf-8", join(SOURCE_DIR, "dashboard.js")],
    ["/dashboard/dashboard.css", "text/css; charset=utf-8", join(SOURCE_DIR, "dashboard.css")],
    ["/dashboard/graphql-ws.js", "text/javascript; charset=utf-8", UMD_BUNDLE],
  ])("serves %s as %s", async (path, contentType, file) => {
    const reply = await send(path);
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe(contentType);
    expectHardened(reply);
    expect(reply.body).toBe(readFileSync(file, "utf8"));
    expect(Number(reply.headers["content-length"])).toBe(Buffer.byteLength(reply.body));
  });

  it("serves graphql-ws's own browser bundle, which defines the global the page uses", async () => {
    const reply = await send("/dashboard/graphql-ws.js");
    expect(reply.body).toContain("graphqlWs");
    expect(reply.body).toContain("createClient");
  });

  it("sets a CSP that allows only the page's own files, its origin and WebSockets, and no inline script", () => {
    const directives = new Map(DASHBOARD_CSP.split(";").map((part) => {
      const [name = "", ...values] = part.trim().split(/\s+/);
      return [name, values] as const;
    }));
    expect(directives.get("default-src")).toEqual(["'self'"]);
    expect(directives.get("script-src")).toEqual(["'self'"]);
    expect(directives.get("connect-src")).toEqual(["'self'", "ws:", "wss:"]);
    expect(directives.get("frame-ancestors")).toEqual(["'none'"]);
    expect(DASHBOARD_CSP).not.toContain("unsafe-inline");
    expect(DASHBOARD_CSP).not.toContain("unsafe-eval");
  });

  it("links only files it serves, and holds no inline script or style", async () => {
    const page = (await send("/dashboard")).body;
    const references = [...page.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? "").filter((url) => !url.startsWith("data:"));
    expect(references.sort()).toEqual(["/dashboard/dashboard.css", "/dashboard/dashboard.js", "/dashboard/graphql-ws.js"]);
    for (const reference of references) expect((await send(reference)).status).toBe(200);
    for (const tag of page.match(/<script\b[^>]*>/g) ?? []) expect(tag).toMatch(/\ssrc="/);
    expect(page).not.toMatch(/<style\b|\sstyle="|\son[a-z]+="/i);
  });

  it("answers HEAD with the headers of GET and no body", async () => {
    const get = await send("/dashboard/dashboard.js");
    const head = await send("/dashboard/dashboard.js", "HEAD");
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
    expect(head.headers["content-type"]).toBe(get.headers["content-type"]);
    expect(head.headers["content-length"]).toBe(get.headers["content-length"]);
    expect(head.headers["etag"]).toBe(get.headers["etag"]);
    expectHardened(head);
  });

  it("revalidates with the ETag: 304 without a body", async () => {
    const { headers } = await send("/dashboard");
    const etag = headers["etag"] ?? "";
    expect(etag).toMatch(/^".+"$/);
    const again = await send("/dashboard", "GET", { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(again.body).toBe("");
    expect(again.headers["etag"]).toBe(etag);
    expect((await send("/dashboard", "GET", { "if-none-match": `"something-else", W/${etag}` })).status).toBe(304);
    expect((await send("/dashboard", "GET", { "if-none-match": '"something-else"' })).status).toBe(200);
  });

  it.each(["/dashboard/nope.js", "/dashboard/index.html", "/dashboard/dashboard.route.ts", "/dashboard/..%2Fpackage.json", "/dashboard/dashboard.js/"])(
    "answers 404 for %s",
    async (path) => {
      const reply = await send(path);
      expect(reply.status).toBe(404);
      expect(reply.headers["content-type"]).toBe("text/plain; charset=utf-8");
      expectHardened(reply);
    },
  );

  it("answers 405 for other methods, naming the ones it takes", async () => {
    for (const method of ["POST", "PUT", "DELETE"]) {
      const reply = await send("/dashboard", method);
      expect(reply.status).toBe(405);
      expect(reply.headers["allow"]).toBe("GET, HEAD");
    }
  });

  it.each(["/graphql", "/health", "/dashboards", "/dashboard.js", "/"])("leaves %s to the rest of the server", async (path) => {
    const reply = await send(path);
    expect(reply.status).toBe(299);
    expect(reply.body).toBe("not the dashboard's");
  });
});

describe("the dashboard's script", () => {
  const script = readFileSync(join(SOURCE_DIR, "dashboard.js"), "utf8");

  it("writes server data as text only, never as markup", () => {
    expect(script).not.toMatch(/\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|document\.write|\beval\(|new Function\(/);
  });
});
