import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { IdentityKeyPair } from "../lib/auth/identity";

/**
 * The platform as production runs it, one process per piece (`node dist/scripts/serve.js
 * <piece>`, as in docker-compose.yml), started from a benchmark on this machine: so a load
 * test can measure the pieces on their own event loops instead of sharing the benchmark's.
 */

/** The pieces a benchmark starts, subgraphs first: the gateway is started once they are ready. */
export const SERVICE_PIECES = ["leads", "intelligence", "analytics", "billing", "gateway"] as const;

/** One of {@link SERVICE_PIECES}, or the GHL bridge, which a benchmark starts last when it asks for it. */
export type ServicePiece = (typeof SERVICE_PIECES)[number] | "bridge";

/** What the bridge piece needs: its gateway credential and the key webhooks are signed with. */
export interface BridgePieceOptions {
  /** A `tenants:any accounts:manage` API key (`BRIDGE_API_KEY`). */
  apiKey: string;
  /** The Ed25519 public key (PEM) the benchmark signs its webhooks with. */
  webhookPublicKeyPem: string;
}

/** What the services need from the benchmark's database bootstrap. */
export interface ServiceProcessesOptions {
  /** The application role's connection string; its credentials must be what migrations set. */
  appUrl: string;
  appRole: string;
  appPassword: string;
  /** The gateway gets the private key, the subgraphs the public one (as in docker-compose.yml). */
  keys: IdentityKeyPair;
  /** Client-JWT settings the gateway verifies with. */
  jwt: { secret: string; issuer: string; audience: string };
  /** `LOG_LEVEL` of every piece. */
  logLevel: string;
  /** Starts the GHL bridge too, after the gateway. */
  bridge?: BridgePieceOptions;
  /** How long each piece may take to answer `GET /ready` with 200. */
  readyTimeoutMs?: number;
  /** How long each piece may take to exit after SIGTERM before it is killed. */
  stopTimeoutMs?: number;
}

/** A piece running in its own process. */
export interface ServiceProcess {
  piece: ServicePiece;
  pid: number;
  port: number;
  /** Its GraphQL endpoint. */
  url: string;
  /** `http://127.0.0.1:<port>`, for `/ready` and `/metrics`. */
  origin: string;
}

/** The running pieces. */
export interface RunningServiceProcesses {
  processes: readonly ServiceProcess[];
  /** The gateway's GraphQL endpoint: what clients call. */
  gatewayUrl: string;
  /** The bridge's origin, when it was asked for. */
  bridgeOrigin: string | undefined;
  /**
   * Sends SIGTERM to every piece still running (the gateway first, so it stops calling the
   * subgraphs before they go away), waits for each to exit and kills what outlives the
   * stop timeout. Idempotent.
   */
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";
/** A per-tenant rate no benchmark reaches. */
const BENCH_UNLIMITED_RPM = 100_000_000;
const DEFAULT_READY_TIMEOUT_MS = 30_000;
const DEFAULT_STOP_TIMEOUT_MS = 10_000;
const TAIL_LINES = 30;

/** A spawned child with what is needed to wait for it and to explain its failure. */
interface Child {
  piece: ServicePiece;
  process: ChildProcess;
  port: number;
  origin: string;
  /** Resolves once the child has exited, with how. */
  exited: Promise<string>;
  /** Set once exited resolved. */
  exit: string | null;
  /** Its last lines of output, for the error when it dies. */
  tail: string[];
}

/**
 * Free ports for `count` servers: every listener is opened before any is closed, so the
 * ports differ. Another program could take one before the piece binds it; the piece then
 * fails to start and says so, which beats fixed ports that are taken more often.
 */
async function pickFreePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once("error", reject);
          server.listen(0, HOST, () => {
            const address = server.address();
            resolve(typeof address === "object" && address ? address.port : 0);
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

/** Each piece's environment: what docker-compose.yml gives its container, and nothing else. */
function environment(piece: ServicePiece, ports: Record<ServicePiece, number>, options: ServiceProcessesOptions): Record<string, string> {
  const url = (name: ServicePiece) => `http://${HOST}:${ports[name]}/graphql`;
  // Not the benchmark's own environment: a DATABASE_URL or ANTHROPIC_API_KEY from the caller's
  // shell would change what the pieces do and make the topologies measure different things.
  const common: Record<string, string> = {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    NODE_ENV: "production",
    HOST,
    LOG_LEVEL: options.logLevel,
    APP_DATABASE_URL: options.appUrl,
    APP_DB_ROLE: options.appRole,
    APP_DB_PASSWORD: options.appPassword,
  };
  switch (piece) {
    case "leads":
      return { ...common, LEADS_PORT: String(ports.leads), IDENTITY_PUBLIC_KEY: options.keys.publicKeyPem };
    case "intelligence":
      return { ...common, INTELLIGENCE_PORT: String(ports.intelligence), IDENTITY_PUBLIC_KEY: options.keys.publicKeyPem };
    case "analytics":
      return { ...common, ANALYTICS_PORT: String(ports.analytics), IDENTITY_PUBLIC_KEY: options.keys.publicKeyPem };
    case "billing":
      return { ...common, BILLING_PORT: String(ports.billing), IDENTITY_PUBLIC_KEY: options.keys.publicKeyPem };
    case "gateway":
      return {
        ...common,
        GATEWAY_PORT: String(ports.gateway),
        LEADS_URL: url("leads"),
        INTELLIGENCE_URL: url("intelligence"),
        ANALYTICS_URL: url("analytics"),
        BILLING_URL: url("billing"),
        // The bench tenant has no billing account: it stands for the whole platform's load, not
        // one team's, so the per-tenant plan limit must not cap it.
        GATEWAY_RATE_LIMIT_UNPROVISIONED_RPM: String(BENCH_UNLIMITED_RPM),
        IDENTITY_PRIVATE_KEY: options.keys.privateKeyPem,
        JWT_SECRET: options.jwt.secret,
        JWT_ISSUER: options.jwt.issuer,
        JWT_AUDIENCE: options.jwt.audience,
      };
    case "bridge":
      return {
        ...common,
        BRIDGE_PORT: String(ports.bridge),
        GATEWAY_URL: url("gateway"),
        BRIDGE_API_KEY: options.bridge?.apiKey ?? "",
        GHL_WEBHOOK_PUBLIC_KEYS: options.bridge?.webhookPublicKeyPem ?? "",
      };
  }
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `killed by ${signal}` : `exited with code ${code ?? "unknown"}`;
}

/** Spawns one piece; its output goes to stderr with a `[piece]` prefix (and into its tail). */
function spawnPiece(piece: ServicePiece, servePath: string, cwd: string, port: number, env: Record<string, string>): Child {
  const child = spawn(process.execPath, [servePath, piece], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const tail: string[] = [];
  const entry: Child = {
    piece,
    process: child,
    port,
    origin: `http://${HOST}:${port}`,
    exit: null,
    tail,
    exited: new Promise<string>((resolve) => {
      // "error" covers a spawn that failed (no "exit" follows); "exit" a process that ran.
      child.once("error", (error) => resolve(`failed to start: ${error.message}`));
      child.once("exit", (code, signal) => resolve(describeExit(code, signal)));
    }).then((how) => (entry.exit = how)),
  };
  // Both streams must be drained: a child whose pipe fills up blocks in its logger.
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on("line", (line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      process.stderr.write(`[${piece}] ${line}\n`);
    });
  }
  return entry;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `GET /ready` until 200; throws, with the piece's last output, when it exits or times out. */
async function waitReady(child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  for (;;) {
    if (child.exit !== null) throw new Error(`${child.piece} ${child.exit} before it was ready; its last output:\n${child.tail.join("\n")}`);
    try {
      const response = await fetch(`${child.origin}/ready`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      // Refused while the piece is still loading: expected, so only the latest reason is kept.
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) throw new Error(`${child.piece} was not ready within ${timeoutMs} ms (${last}); its last output:\n${child.tail.join("\n")}`);
    await delay(100);
  }
}

/** SIGTERM, then SIGKILL once `timeoutMs` passed; resolves when the child is gone. */
async function stopChild(child: Child, timeoutMs: number): Promise<void> {
  if (child.exit !== null) return;
  child.process.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([child.exited.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
  clearTimeout(timer);
  if (inTime) {
    // Killed by the SIGTERM itself means it had not yet installed its handler: still a clean stop.
    if (child.exit !== "exited with code 0" && child.exit !== "killed by SIGTERM") process.stderr.write(`${child.piece} ${child.exit} after SIGTERM\n`);
    return;
  }
  process.stderr.write(`${child.piece} still running ${timeoutMs} ms after SIGTERM; killing it\n`);
  child.process.kill("SIGKILL");
  await child.exited;
}

/**
 * Starts the subgraphs in parallel, waits until each answers `/ready`, then starts the
 * gateway against them and waits for it too, then the bridge when asked for. Needs `npm run build` (it
 * runs the compiled `dist/scripts/serve.js`). On any failure every piece already started
 * is stopped before the error is thrown; should this process exit without calling
 * {@link RunningServiceProcesses.stop}, an `exit` hook kills them, so none is left behind.
 */
export async function startServiceProcesses(options: ServiceProcessesOptions): Promise<RunningServiceProcesses> {
  // This file runs from dist/bench; serve.js sits beside it in dist/scripts, the repo root above dist.
  const servePath = join(__dirname, "..", "scripts", "serve.js");
  const repoRoot = join(__dirname, "..", "..");
  if (!existsSync(servePath)) throw new Error(`${servePath} is missing: run \`npm run build\` first`);
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;

  const [leads, intelligence, analytics, billing, gateway, bridge] = await pickFreePorts(SERVICE_PIECES.length + 1);
  const ports: Record<ServicePiece, number> = { leads: leads!, intelligence: intelligence!, analytics: analytics!, billing: billing!, gateway: gateway!, bridge: bridge! };
  const children: Child[] = [];
  // The safety net for an exit without stop() (an uncaught error, process.exit): a
  // synchronous SIGKILL is all an exit hook can do, and it is enough to leave no orphans.
  const killAll = () => {
    for (const child of children) if (child.exit === null) child.process.kill("SIGKILL");
  };
  process.on("exit", killAll);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      // The bridge and the gateway first; the subgraphs then stop side by side, as nothing calls them any more.
      for (const piece of ["bridge", "gateway"] as const) {
        for (const child of children.filter((entry) => entry.piece === piece)) await stopChild(child, stopTimeoutMs);
      }
      await Promise.all(children.filter((child) => child.piece !== "gateway" && child.piece !== "bridge").map((child) => stopChild(child, stopTimeoutMs)));
      process.removeListener("exit", killAll);
    })();
    return stopping;
  };

  const start = (piece: ServicePiece) => {
    const child = spawnPiece(piece, servePath, repoRoot, ports[piece], environment(piece, ports, options));
    children.push(child);
    return child;
  };
  let processes: ServiceProcess[];
  try {
    const subgraphs = SERVICE_PIECES.filter((piece) => piece !== "gateway").map(start);
    await Promise.all(subgraphs.map((child) => waitReady(child, readyTimeoutMs)));
    await waitReady(start("gateway"), readyTimeoutMs);
    if (options.bridge) await waitReady(start("bridge"), readyTimeoutMs);
    processes = children.map((child): ServiceProcess => {
      // A child that answered /ready was spawned, so it has a pid; checked for the type's sake.
      const pid = child.process.pid;
      if (pid === undefined) throw new Error(`${child.piece} has no pid`);
      return { piece: child.piece, pid, port: child.port, url: `${child.origin}/graphql`, origin: child.origin };
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { processes, gatewayUrl: `http://${HOST}:${ports.gateway}/graphql`, bridgeOrigin: options.bridge ? `http://${HOST}:${ports.bridge}` : undefined, stop };
}
