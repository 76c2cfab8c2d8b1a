import pg from "pg";
import { sql } from "kysely";
import { createDatabase } from "../../lib/db/database";
import { appendEvent, consumerLag, openBatch, readEvents, savePosition, LOG_START, type LogPosition } from "../../lib/events/event-log";
import { startEventConsumer } from "../../lib/events/event-consumer";
import type { StoredEvent } from "../../lib/events/event-types";
import { createLogger } from "../../lib/logger";
import { eventually } from "../helpers/eventually";
import { testDatabaseUrls, uniqueTenant } from "../helpers/stack";

const urls = testDatabaseUrls();
const db = createDatabase<unknown>(urls.app, { name: "event-log-test" });
const owner = createDatabase<unknown>(urls.owner, { name: "event-log-owner" });
const tenant = uniqueTenant("events");

afterAll(async () => {
  await db.destroy();
  await owner.destroy();
});

function noteAdded(aggregateId: string) {
  return { type: "LeadNoteAdded" as const, tenantId: tenant, aggregateId, payload: { noteId: aggregateId, author: "test" } };
}

/** A client holding an open transaction that has appended one event. */
async function openTransactionWithEvent(aggregateId: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: urls.app });
  await client.connect();
  await client.query("begin");
  await client.query("select set_config('app.tenant_id', $1, true)", [tenant]);
  await client.query(
    "insert into events.log (tenant_id, type, aggregate_id, payload, producer) values ($1, 'LeadNoteAdded', $2, $3, 'test')",
    [tenant, aggregateId, JSON.stringify({ noteId: aggregateId, author: "test" })],
  );
  return client;
}

/**
 * Reads everything visible after `from` for this test's tenant, page by page: other test
 * files append thousands of events meanwhile, and one page could hold none of ours.
 */
async function readMine(from: LogPosition): Promise<{ events: StoredEvent[]; position: LogPosition }> {
  const mine: StoredEvent[] = [];
  let position = from;
  for (;;) {
    const page = await readEvents(db, position, 1000);
    const last = page[page.length - 1];
    if (!last) break;
    mine.push(...page.filter((e) => e.tenantId === tenant));
    position = { tx: last.tx, id: last.id };
  }
  return { events: mine, position };
}

describe("events log", () => {
  it("appends in the caller's transaction: a rolled-back change leaves no event", async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`select set_config('app.tenant_id', ${tenant}, true)`.execute(trx);
        await appendEvent(trx, "test", noteAdded("rolled-back"));
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    const { events } = await readMine(LOG_START);
    expect(events.map((e) => e.aggregateId)).not.toContain("rolled-back");
  });

  it("never lets a consumer skip an event whose transaction commits after a later id was committed", async () => {
    const { position: start } = await readMine(LOG_START);
    // T1 takes the lower id and stays open; T2 takes a higher id and commits first.
    const t1 = await openTransactionWithEvent("first-id-commits-last");
    const t2 = await openTransactionWithEvent("second-id-commits-first");
    await t2.query("commit");

    // While T1 is in flight, reading by id alone would hand out T2's event and move past T1's id.
    const idOrder = await sql<{ aggregate_id: string }>`
      select aggregate_id from events.log where tenant_id = ${tenant} and id > ${start.id} order by id`.execute(owner);
    expect(idOrder.rows.map((r) => r.aggregate_id)).toEqual(["second-id-commits-first"]);

    const during = await readMine(start);
    expect(during.events).toEqual([]);

    await t1.query("commit");
    const after = await eventually(async () => {
      const read = await readMine(during.position);
      expect(read.events.map((e) => e.aggregateId).sort()).toEqual(["first-id-commits-last", "second-id-commits-first"]);
      return read;
    });
    // And nothing is handed out twice.
    expect((await readMine(after.position)).events).toEqual([]);
    await Promise.all([t1.end(), t2.end()]);
  });

  it("validates payloads on read", async () => {
    const bad = await openTransactionWithEvent("bad-payload");
    await bad.query("update events.log set payload = '{\"unexpected\":true}' where aggregate_id = 'bad-payload'");
    await bad.query("commit");
    await bad.end();
    try {
      await eventually(() => expect(readEvents(db, LOG_START, 100_000)).rejects.toThrow(/invalid LeadNoteAdded payload/));
    } finally {
      // A row no reader can parse would stall every consumer sharing this database.
      await sql`delete from events.log where aggregate_id = 'bad-payload'`.execute(owner);
    }
  });

  it("a consumer applies each committed event exactly once and resumes from its saved position", async () => {
    const seen: string[] = [];
    const logger = createLogger("test", "silent");
    const options = {
      name: `test-consumer-${tenant}`,
      db,
      connectionString: urls.app,
      logger,
      pollMs: 50,
      handle: async (events: readonly StoredEvent[]) => {
        for (const e of events) if (e.tenantId === tenant && e.aggregateId.startsWith("c-")) seen.push(e.aggregateId);
      },
    };
    const consumer = await startEventConsumer(options);
    for (const id of ["c-1", "c-2"]) {
      await db.transaction().execute(async (trx) => {
        await sql`select set_config('app.tenant_id', ${tenant}, true)`.execute(trx);
        await appendEvent(trx, "test", noteAdded(id));
      });
    }
    await eventually(async () => {
      await consumer.drain();
      expect(seen).toEqual(["c-1", "c-2"]);
    });
    await consumer.stop();
    await db.transaction().execute(async (trx) => {
      await sql`select set_config('app.tenant_id', ${tenant}, true)`.execute(trx);
      await appendEvent(trx, "test", noteAdded("c-3"));
    });
    const restarted = await startEventConsumer(options);
    await eventually(async () => {
      await restarted.drain();
      expect(seen).toEqual(["c-1", "c-2", "c-3"]);
    });
    await restarted.stop();
  });

  it("opens a consumer's batch under its lock: the saved position and the events after it, or the position alone", async () => {
    const name = `open-batch-${tenant}`;
    // A consumer never saved reads from the log's start, like readEvents from LOG_START.
    const first = await db.transaction().execute((trx) => openBatch(trx, name, 5, false));
    expect(first.position).toEqual(LOG_START);
    expect(first.events.map((event) => event.id)).toEqual((await readEvents(db, LOG_START, 5)).map((event) => event.id));
    expect(first.events).toHaveLength(5);

    // Saved past everything: the position comes back alone, with no events.
    const far: LogPosition = { tx: "9000000000000000000", id: 0 };
    await savePosition(db, name, far);
    expect(await db.transaction().execute((trx) => openBatch(trx, name, 5, false))).toEqual({ position: far, events: [] });

    // A second replica's batch waits until the first one's transaction ends.
    let releaseFirst = () => undefined as void;
    const firstHeld = db.transaction().execute(async (trx) => {
      await openBatch(trx, name, 5, false);
      await new Promise<void>((resolve) => (releaseFirst = resolve));
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    let secondOpened = false;
    const second = db.transaction().execute(async (trx) => {
      await openBatch(trx, name, 5, false);
      secondOpened = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(secondOpened).toBe(false);
    releaseFirst();
    await firstHeld;
    await second;
    expect(secondOpened).toBe(true);
  });

  it("commits a consumer's batch without waiting for its WAL flush, and only that transaction", async () => {
    const name = `open-batch-async-${tenant}`;
    const setting = async (trx: Parameters<typeof openBatch>[0]) =>
      (await sql<{ value: string }>`select current_setting('synchronous_commit') as value`.execute(trx)).rows[0]!.value;
    // One connection, so the setting after the batch is that connection's.
    await db.connection().execute(async (connection) => {
      const inBatch = await connection.transaction().execute(async (trx) => {
        const before = await setting(trx);
        await openBatch(trx, name, 1, false);
        return [before, await setting(trx)];
      });
      // The server's default is "on"; whatever it is, it is back once the batch committed.
      expect(inBatch[1]).toBe("off");
      expect(await setting(connection)).toBe(inBatch[0]);
    });
  });

  it("measures a consumer's lag across tenants, and it drops once the consumer reads on", async () => {
    const name = `lag-${tenant}`;
    // Dated long before anything else in the log, so it is the oldest event a new consumer has not read.
    const dated = new Date("2000-01-01T00:00:00Z");
    await db.transaction().execute(async (trx) => {
      await sql`select set_config('app.tenant_id', ${tenant}, true)`.execute(trx);
      await appendEvent(trx, "test", { ...noteAdded("lag-1"), occurredAt: dated });
    });
    // A consumer that never ran is behind by the whole log, other tenants' events included.
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from events.log`.execute(owner);
    const before = await consumerLag(db, name);
    expect(before.eventsBehind).toBeGreaterThanOrEqual(rows[0]!.n);
    expect(before.oldestUnreadAt).toEqual(dated);

    const consumer = await startEventConsumer({ name, db, connectionString: urls.app, logger: createLogger("test", "silent"), pollMs: 50, handle: async () => undefined });
    // Other test files keep appending, so "caught up" is: our event and most of the log are behind it.
    await eventually(async () => {
      await consumer.drain();
      const after = await consumerLag(db, name);
      expect(after.oldestUnreadAt === null || after.oldestUnreadAt > dated).toBe(true);
      expect(after.eventsBehind).toBeLessThan(before.eventsBehind);
    });
    await consumer.stop();
  });

  it("two replicas of one consumer apply each event once between them", async () => {
    const seen: string[] = [];
    const options = {
      name: `replicated-${tenant}`,
      db,
      connectionString: urls.app,
      logger: createLogger("test", "silent"),
      pollMs: 10,
      batchSize: 3,
      handle: async (events: readonly StoredEvent[]) => {
        for (const e of events) if (e.tenantId === tenant && e.aggregateId.startsWith("r-")) seen.push(e.aggregateId);
        // Hold the batch open so the other replica tries to read the same position meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 20));
      },
    };
    const replicas = await Promise.all([startEventConsumer(options), startEventConsumer(options)]);
    const expected = Array.from({ length: 12 }, (_, i) => `r-${String(i).padStart(2, "0")}`);
    for (const id of expected) {
      await db.transaction().execute(async (trx) => {
        await sql`select set_config('app.tenant_id', ${tenant}, true)`.execute(trx);
        await appendEvent(trx, "test", noteAdded(id));
      });
    }
    // Waiting for the full set, not for a count, so a duplicate could not pass for a missing event.
    await eventually(async () => {
      await Promise.all(replicas.map((r) => r.drain()));
      expect([...seen].sort()).toEqual(expected);
    });
    await Promise.all(replicas.map((r) => r.drain()));
    await Promise.all(replicas.map((r) => r.stop()));
    expect([...seen].sort()).toEqual(expected);
  });

  describe("which transactions readers wait for", () => {
    /** A client in a transaction that has written (so it holds an xid) but appended nothing. */
    async function openTransactionThatWrote(name: string, declared: boolean): Promise<pg.Client> {
      const client = new pg.Client({ connectionString: urls.app });
      await client.connect();
      await client.query("begin");
      await client.query("select set_config('app.tenant_id', $1, true)", [tenant]);
      if (declared) await client.query("select events.begin_append()");
      await client.query("insert into events.consumer_offsets (consumer, last_tx, last_id) values ($1, '0', 0)", [name]);
      return client;
    }

    it("a long transaction that never appends holds no reader back", async () => {
      const { position: start } = await readMine(LOG_START);
      const projection = await openTransactionThatWrote(`projection-${tenant}`, false);
      try {
        // Appended and committed after the projection took its xid, so a lower xid is in flight.
        await db.transaction().execute(async (trx) => {
          await sql`select set_config('app.tenant_id', ${tenant}, true)`.execute(trx);
          await appendEvent(trx, "test", noteAdded("behind-a-projection"));
        });
        // Eventually: other files' appenders may hold the horizon for a moment; the projection
        // holds it for the whole wait, so under the old rule this never passed.
        await eventually(async () => expect((await readMine(start)).events.map((e) => e.aggregateId)).toEqual(["behind-a-projection"]));
      } finally {
        await projection.query("rollback");
        await projection.end();
      }
    });

    it("refuses an append after another write in an undeclared transaction, and changes nothing", async () => {
      const client = await openTransactionThatWrote(`undeclared-${tenant}`, false);
      try {
        await expect(
          client.query("insert into events.log (tenant_id, type, aggregate_id, payload, producer) values ($1, 'LeadNoteAdded', 'undeclared', $2, 'test')", [
            tenant,
            JSON.stringify({ noteId: "undeclared", author: "test" }),
          ]),
        ).rejects.toMatchObject({ code: "55000" });
      } finally {
        await client.query("rollback");
        await client.end();
      }
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from events.log where aggregate_id = 'undeclared'`.execute(owner);
      expect(rows[0]!.n).toBe(0);
    });

    it("a declared transaction holds readers back from its first write until it commits, then its event comes first", async () => {
      const { position: start } = await readMine(LOG_START);
      const slow = await openTransactionThatWrote(`declared-${tenant}`, true);
      await db.transaction().execute(async (trx) => {
        await sql`select set_config('app.tenant_id', ${tenant}, true)`.execute(trx);
        await appendEvent(trx, "test", noteAdded("declared-later-xid"));
      });
      const during = await readMine(start);
      expect(during.events).toEqual([]);
      await slow.query(
        "insert into events.log (tenant_id, type, aggregate_id, payload, producer) values ($1, 'LeadNoteAdded', 'declared-earlier-xid', $2, 'test')",
        [tenant, JSON.stringify({ noteId: "declared-earlier-xid", author: "test" })],
      );
      await slow.query("commit");
      await slow.end();
      // Other files' appenders may still hold the horizon for a moment after the commit.
      await eventually(async () => expect((await readMine(during.position)).events.map((e) => e.aggregateId)).toEqual(["declared-earlier-xid", "declared-later-xid"]));
    });

    it("refuses to read the log under repeatable read, where the snapshot could predate the horizon", async () => {
      await expect(
        db.transaction().setIsolationLevel("repeatable read").execute((trx) => readEvents(trx, LOG_START, 1)),
      ).rejects.toMatchObject({ code: "25000" });
    });
  });
});
