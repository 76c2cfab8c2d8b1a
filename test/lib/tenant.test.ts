import { sql } from "kysely";
import { createDatabase } from "../../lib/db/database";
import { withTenant } from "../../lib/db/tenant";
import { testDatabaseUrls, uniqueTenant } from "../helpers/stack";

// One connection, so every call below reuses the one the previous call gave back.
const db = createDatabase<unknown>(testDatabaseUrls().app, { name: "tenant-test", poolSize: 1 });
const owner = createDatabase<unknown>(testDatabaseUrls().owner, { name: "tenant-test-owner" });

afterAll(async () => {
  await db.destroy();
  await owner.destroy();
});

async function setting(): Promise<string | null> {
  const { rows } = await sql<{ tenant: string | null }>`select nullif(current_setting('app.tenant_id', true), '') as tenant`.execute(db);
  return rows[0]?.tenant ?? null;
}

describe("withTenant", () => {
  it("binds the tenant for the transaction only, quotes and backslashes included", async () => {
    const tenant = `${uniqueTenant("quote")}'; drop table events.log; --\\`;
    const seen = await withTenant(db, tenant, async (trx) => (await sql<{ tenant: string }>`select current_setting('app.tenant_id') as tenant`.execute(trx)).rows[0]?.tenant);
    expect(seen).toBe(tenant);
    expect(await setting()).toBeNull();
  });

  it("rolls back when fn fails, and gives the connection back outside any transaction", async () => {
    const consumer = `rolled-back-${uniqueTenant("tx")}`;
    await expect(
      withTenant(db, uniqueTenant("tx"), async (trx) => {
        await sql`insert into events.consumer_offsets (consumer, last_tx, last_id) values (${consumer}, '0', 0)`.execute(trx);
        // A failing statement aborts the transaction; the next user of the connection must not inherit that.
        await sql`select 1 / 0`.execute(trx);
      }),
    ).rejects.toThrow(/division by zero/);
    expect(await setting()).toBeNull();
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from events.consumer_offsets where consumer = ${consumer}`.execute(owner);
    expect(rows[0]!.n).toBe(0);
  });

  it("commits what fn wrote", async () => {
    const consumer = `committed-${uniqueTenant("tx")}`;
    await withTenant(db, uniqueTenant("tx"), (trx) => sql`insert into events.consumer_offsets (consumer, last_tx, last_id) values (${consumer}, '0', 0)`.execute(trx));
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from events.consumer_offsets where consumer = ${consumer}`.execute(owner);
    expect(rows[0]!.n).toBe(1);
  });
});
