import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, join } from "node:path";

/** Where the dashboard lives on the gateway. */
export const DASHBOARD_PATH = "/dashboard";

/**
 * The page may load only its own files and talk only to its own origin and WebSockets; no
 * inline script or style can run, so injected markup would stay inert, and no other site
 * may frame it.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

type AssetName = "index.html" | "dashboard.js" | "dashboard.css" | "graphql-ws.js";

const ROUTES: ReadonlyMap<string, AssetName> = new Map([
  [DASHBOARD_PATH, "index.html"],
  [`${DASHBOARD_PATH}/`, "index.html"],
  [`${DASHBOARD_PATH}/dashboard.js`, "dashboard.js"],
  [`${DASHBOARD_PATH}/dashboard.css`, "dashboard.css"],
  [`${DASHBOARD_PATH}/graphql-ws.js`, "graphql-ws.js"],
]);

const CONTENT_TYPES: Record<AssetName, string> = {
  "index.html": "text/html; charset=utf-8",
  "dashboard.js": "text/javascript; charset=utf-8",
  "dashboard.css": "text/css; charset=utf-8",
  "graphql-ws.js": "text/javascript; charset=utf-8",
};

/**
 * The repository root: the nearest folder above this file holding package.json. The
 * compiler emits only .ts files, so the built route (under dist/) serves the static files
 * from the source tree, as the tests (which run the sources) do.
 */
function repoRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}: cannot find the dashboard's files`);
  }
}

function filePath(name: AssetName): string {
  if (name === "graphql-ws.js") {
    // The package's exports map does not list its UMD bundle, but does list package.json.
    return join(dirname(require.resolve("graphql-ws/package.json")), "umd", "graphql-ws.min.js");
  }
  return join(repoRoot(), "gateway", "src", "dashboard", name);
}

let assets: Readonly<Record<AssetName, Asset>> | undefined;

function load(name: AssetName): Asset {
  const body = readFileSync(filePath(name));
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
  return { body, contentType: CONTENT_TYPES[name], etag };
}

/** Reads every file once, on the first dashboard request, so a missing one fails at once rather than mid-page. */
function loadAssets(): Readonly<Record<AssetName, Asset>> {
  assets ??= {
    "index.html": load("index.html"),
    "dashboard.js": load("dashboard.js"),
    "dashboard.css": load("dashboard.css"),
    "graphql-ws.js": load("graphql-ws.js"),
  };
  return assets;
}

/** Whether `If-None-Match` names `etag` (a list, weak tags and `*` included). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const trimmed = tag.trim();
    return trimmed === "*" || trimmed.replace(/^W\//, "") === etag;
  });
}

const COMMON_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": DASHBOARD_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer | string, head: boolean): void {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  res.writeHead(status, { ...COMMON_HEADERS, "content-length": String(bytes.length), ...headers });
  res.end(head ? undefined : bytes);
}

/**
 * Serves the live dashboard's static files: `GET`/`HEAD /dashboard` (and `/dashboard/`) is
 * the page, `/dashboard/dashboard.js`, `/dashboard/dashboard.css` and
 * `/dashboard/graphql-ws.js` (graphql-ws's own browser bundle) its parts. The files hold no
 * data, so they need no credentials: the page asks for a token and sends it only over the
 * WebSocket. Any other path under /dashboard is 404, another method 405.
 *
 * Returns true when it answered the request, false when the path is not the dashboard's
 * (the caller routes it on). Throws if a file cannot be read (a broken install), for the
 * server's error handler to log and answer 500.
 */
export function serveDashboard(req: IncomingMessage, res: ServerResponse): boolean {
  const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
  if (pathname !== DASHBOARD_PATH && !pathname.startsWith(`${DASHBOARD_PATH}/`)) return false;
  const head = req.method === "HEAD";
  const name = ROUTES.get(pathname);
  if (!name) {
    send(res, 404, { "content-type": "text/plain; charset=utf-8" }, "Not found\n", head);
    return true;
  }
  if (req.method !== "GET" && !head) {
    send(res, 405, { "content-type": "text/plain; charset=utf-8", allow: "GET, HEAD" }, "Method not allowed\n", false);
    return true;
  }
  const asset = loadAssets()[name];
  // A reload of a page left open for hours revalidates: one small request, and a deploy is picked up.
  if (matches(req.headers["if-none-match"], asset.etag)) {
    res.writeHead(304, { ...COMMON_HEADERS, etag: asset.etag });
    res.end();
    return true;
  }
  send(res, 200, { "content-type": asset.contentType, etag: asset.etag }, asset.body, head);
  return true;
}
