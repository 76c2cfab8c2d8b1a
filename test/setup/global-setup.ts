// type-graphql classes reached through the migrations' imports need decorator metadata.
import "reflect-metadata";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startEmbeddedPostgres, type RunningPostgres } from "../../lib/db/embedded-postgres";
import { createLogger } from "../../lib/logger";
import { preparePlatformDatabase } from "../../scripts/platform-database";

/** What the global teardown must undo, left on `globalThis` (setup and teardown share the jest parent process). */
export type TestDatabaseHandle =
  | { kind: "embedded"; tempDir: string; postgres?: RunningPostgres }
  | { kind: "server"; adminUrl: string; database: string; role: string };

/** The `globalThis` key holding the {@link TestDatabaseHandle}. */
export const TEST_DATABASE_HANDLE = Symbol.for("enterprisehub.test-database");

/** The global object, typed with the handle's slot. */
export type TestGlobal = typeof globalThis & { [TEST_DATABASE_HANDLE]?: TestDatabaseHandle };

/** Runs one statement on the server in `adminUrl` (creating and dropping databases cannot run in a pool's transaction). */
export async function adminQuery(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * Gives the test run its own real Postgres database: a fresh `hub_test_<random>` on the
 * server in `DATABASE_URL`, or else an embedded cluster in a fresh temp directory. It is
 * migrated like production, and the owner and app-role connection strings are exported
 * to the workers (`TEST_OWNER_DATABASE_URL`, `TEST_APP_DATABASE_URL`, `TEST_APP_DB_ROLE`).
 */
export default async function globalSetup(): Promise<void> {
  process.env["LOG_LEVEL"] ??= "silent";
  const logger = createLogger("test-setup", process.env["LOG_LEVEL"]);
  const id = randomBytes(5).toString("hex");
  // A run-specific role: on a shared server, re-passwording a common one would lock out whoever else uses it.
  const appRole = `hub_test_${id}_app`;
  const appPassword = randomBytes(18).toString("base64url");
  const global = globalThis as TestGlobal;

  let ownerUrl: string;
  let appUrl: string;
  try {
    const adminUrl = process.env["DATABASE_URL"];
    if (adminUrl) {
      const database = `hub_test_${id}`;
      await adminQuery(adminUrl, `create database ${database}`);
      global[TEST_DATABASE_HANDLE] = { kind: "server", adminUrl, database, role: appRole };
      const url = new URL(adminUrl);
      url.pathname = `/${database}`;
      ownerUrl = url.toString();
    } else {
      const tempDir = await mkdtemp(join(tmpdir(), "hub-test-"));
      const handle: TestDatabaseHandle = { kind: "embedded", tempDir };
      global[TEST_DATABASE_HANDLE] = handle;
      handle.postgres = await startEmbeddedPostgres({ dataDir: join(tempDir, "pg"), port: 0, logger });
      ownerUrl = handle.postgres.ownerUrl;
    }
    ({ appUrl } = await preparePlatformDatabase({ ownerUrl, appRole, appPassword }));
  } catch (error) {
    // Jest skips the global teardown when the setup fails, so clean up here.
    await releaseTestDatabase();
    throw error;
  }
  process.env["TEST_OWNER_DATABASE_URL"] = ownerUrl;
  process.env["TEST_APP_DATABASE_URL"] = appUrl;
  process.env["TEST_APP_DB_ROLE"] = appRole;
}

/** Stops or drops whatever {@link globalSetup} created; safe to call twice. */
export async function releaseTestDatabase(): Promise<void> {
  const global = globalThis as TestGlobal;
  const handle = global[TEST_DATABASE_HANDLE];
  if (!handle) return;
  delete global[TEST_DATABASE_HANDLE];
  if (handle.kind === "embedded") {
    try {
      await handle.postgres?.stop();
    } finally {
      await rm(handle.tempDir, { recursive: true, force: true });
    }
  } else {
    // `force` ends connections a test left open (PG 13+).
    await adminQuery(handle.adminUrl, `drop database if exists ${handle.database} with (force)`);
    await adminQuery(handle.adminUrl, `drop role if exists ${handle.role}`);
  }
}
