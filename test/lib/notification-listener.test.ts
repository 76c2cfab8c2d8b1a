import { sql } from "kysely";
import { createDatabase } from "../../lib/db/database";
import { createNotificationListener, type NotificationListener } from "../../lib/events/notification-listener";
import { createLogger } from "../../lib/logger";
import { eventually } from "../helpers/eventually";
import { testDatabaseUrls, uniqueTenant } from "../helpers/stack";

const urls = testDatabaseUrls();
const owner = createDatabase<unknown>(urls.owner, { name: "notification-listener-owner" });
const logger = createLogger("test", "silent");

afterAll(async () => {
  await owner.destroy();
});

/** A database URL nothing else in this process uses, naming its connection `name`. */
function ownUrl(name: string): string {
  const url = new URL(urls.app);
  url.searchParams.set("application_name", name);
  return url.toString();
}

async function connectionsNamed(name: string): Promise<number> {
  return (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where application_name = ${name}`.execute(owner)).rows[0]!.n;
}

async function notify(channel: string, payload: string): Promise<void> {
  await sql`select pg_notify(${channel}, ${payload})`.execute(owner);
}

/** A listener recording what it was told. */
function recording(connectionString: string, channel: string, reconnectMs = 1000): { listener: NotificationListener; payloads: string[]; listening: number[] } {
  const payloads: string[] = [];
  const listening: number[] = [];
  const listener = createNotificationListener({
    connectionString,
    channel,
    name: channel,
    logger,
    reconnectMs,
    onNotification: (payload) => payloads.push(payload),
    onListening: () => listening.push(Date.now()),
  });
  return { listener, payloads, listening };
}

describe("notification listeners", () => {
  it("share one connection per database, each told only its own channel's notifications", async () => {
    const name = uniqueTenant("listen-shared");
    const url = ownUrl(name);
    const a = recording(url, `${name}_a`);
    const b = recording(url, `${name}_b`);
    try {
      await Promise.all([a.listener.start(), b.listener.start()]);
      expect(await connectionsNamed(name)).toBe(1);
      expect([a.listening.length, b.listening.length]).toEqual([1, 1]);

      await notify(`${name}_a`, "to-a");
      await notify(`${name}_b`, "to-b");
      await eventually(async () => expect([a.payloads, b.payloads]).toEqual([["to-a"], ["to-b"]]));

      // One stopping leaves the other listening on the same connection...
      await a.listener.stop();
      await notify(`${name}_a`, "to-a-again");
      await notify(`${name}_b`, "to-b-again");
      await eventually(async () => expect(b.payloads).toEqual(["to-b", "to-b-again"]));
      expect(a.payloads).toEqual(["to-a"]);
      expect(await connectionsNamed(name)).toBe(1);
    } finally {
      await a.listener.stop();
      await b.listener.stop();
    }
    // ...and the connection ends with the last one.
    await eventually(async () => expect(await connectionsNamed(name)).toBe(0));
  });

  it("a listener started on a connection already up is listening once start resolves", async () => {
    const name = uniqueTenant("listen-late");
    const url = ownUrl(name);
    const first = recording(url, `${name}_first`);
    const late = recording(url, `${name}_late`);
    try {
      await first.listener.start();
      await late.listener.start();
      expect(late.listening).toHaveLength(1);
      await notify(`${name}_late`, "hello");
      await eventually(async () => expect(late.payloads).toEqual(["hello"]));
      expect(first.payloads).toEqual([]);
    } finally {
      await first.listener.stop();
      await late.listener.stop();
    }
  });

  it("reconnects after the connection is killed and tells every listener, which then hear again", async () => {
    const name = uniqueTenant("listen-reconnect");
    const url = ownUrl(name);
    const a = recording(url, `${name}_a`, 50);
    const b = recording(url, `${name}_b`, 50);
    try {
      await a.listener.start();
      await b.listener.start();
      await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${name}`.execute(owner);
      await eventually(async () => expect([a.listening.length, b.listening.length]).toEqual([2, 2]));
      expect(await connectionsNamed(name)).toBe(1);
      await notify(`${name}_a`, "after-a");
      await notify(`${name}_b`, "after-b");
      await eventually(async () => expect([a.payloads, b.payloads]).toEqual([["after-a"], ["after-b"]]));
    } finally {
      await a.listener.stop();
      await b.listener.stop();
    }
  });

  it("refuses to start again once stopped", async () => {
    const name = uniqueTenant("listen-stopped");
    const one = recording(ownUrl(name), `${name}_a`);
    await one.listener.start();
    await one.listener.stop();
    await expect(one.listener.start()).rejects.toThrow(/stopped/);
    await eventually(async () => expect(await connectionsNamed(name)).toBe(0));
  });
});
