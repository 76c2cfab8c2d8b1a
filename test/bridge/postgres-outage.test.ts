import { generateKeyPairSync, randomUUID, sign } from "node:crypto";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { sql } from "kysely";
import { Role } from "../../lib/auth/roles";
import type { RunningServer } from "../../lib/http/http-server";
import { createLogger } from "../../lib/logger";
import { createBridge } from "../../bridge/src/index";
import { GHL_WEBHOOK_PATH } from "../../bridge/src/intake/webhook.route";
import { inboxProcessing } from "../../bridge/src/processing/inbox-processing";
import { eventually } from "../helpers/eventually";
import { startStack, testDatabaseUrls, uniqueTenant, type TestStack } from "../helpers/stack";

/**
 * A TCP hop between the bridge and Postgres that the test can cut: every open connection
 * is reset and new ones are refused, which is what the bridge sees when Postgres stops,
 * without stopping the database every other test file uses.
 */
class PostgresLink {
  private readonly sockets = new Set<Socket>();
  private down = false;
  private constructor(private readonly server: Server) {}

  static async open(target: URL): Promise<PostgresLink> {
    let link: PostgresLink | undefined;
    const server = createServer((client) => link!.accept(client, target));
    link = new PostgresLink(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return link;
  }

  /** `url` with its host and port replaced by this link's. */
  through(url: string): string {
    const rewritten = new URL(url);
    const address = this.server.address() as AddressInfo;
    rewritten.hostname = "127.0.0.1";
    rewritten.port = String(address.port);
    return rewritten.toString();
  }

  cut(): void {
    this.down = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.down = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket, target: URL): void {
    if (this.down) return void client.destroy();
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  }
}

const logger = createLogger("test-outage", process.env["LOG_LEVEL"] ?? "silent");
const signing = generateKeyPairSync("ed25519");
const tenant = uniqueTenant("outage");
let link: PostgresLink;
let stack: TestStack | undefined;
const bridges: RunningServer[] = [];

beforeAll(async () => {
  stack = await startStack();
  link = await PostgresLink.open(new URL(testDatabaseUrls().app));
});

afterAll(async () => {
  for (const bridge of bridges) await bridge.stop();
  await link?.close();
  await stack?.stop();
});

function contactCreate(contactId: string): Buffer {
  return Buffer.from(
    JSON.stringify({ type: "ContactCreate", locationId: tenant, webhookId: randomUUID(), timestamp: new Date().toISOString(), id: contactId, firstName: "Outage", lastName: contactId }),
  );
}

async function deliver(bridge: RunningServer, body: Buffer): Promise<Response> {
  return fetch(new URL(GHL_WEBHOOK_PATH, bridge.url), {
    method: "POST",
    headers: { "content-type": "application/json", "x-ghl-signature": sign(null, body, signing.privateKey).toString("base64") },
    body,
  });
}

async function startBridge(options: { processing: boolean }): Promise<RunningServer> {
  const serviceToken = await stack!.token("bridge-service", Role.ADMIN, { sub: "bridge", scopes: ["tenants:any", "accounts:manage"], ttlSeconds: 3600 });
  const bridge = await createBridge({
    port: 0,
    databaseUrl: link.through(testDatabaseUrls().app),
    publicKeys: [signing.publicKey.export({ type: "spki", format: "pem" }).toString()],
    maxAgeMs: 90 * 60_000,
    workflowSecrets: {},
    logger,
    processing: options.processing ? [inboxProcessing({ databaseUrl: link.through(testDatabaseUrls().app), gatewayUrl: stack!.gatewayUrl, credentials: { bearer: serviceToken }, logger })] : [],
  });
  bridges.push(bridge);
  return bridge;
}

/** The GHL contacts the tenant's leads mirror, one entry per lead. */
async function mirrored(): Promise<string[]> {
  const { rows } = await sql<{ contact: string }>`select ghl_contact_id as contact from leads.leads where tenant_id = ${tenant}`.execute(stack!.ownerDb);
  return rows.map((row) => row.contact).sort();
}

describe("the bridge through a Postgres outage (its connections cut)", () => {
  it("answers 429 while Postgres is down, and applies every event accepted before the stop once it is back", async () => {
    // Accepted but not yet applied when Postgres goes: intake runs alone.
    const intake = await startBridge({ processing: false });
    const before = Array.from({ length: 6 }, (_, i) => `before-${i}`);
    for (const contact of before) expect((await deliver(intake, contactCreate(contact))).status).toBe(200);

    link.cut();
    const during = Array.from({ length: 3 }, (_, i) => `during-${i}`);
    for (const contact of during) {
      const reply = await deliver(intake, contactCreate(contact));
      // GHL retries a 429 and nothing else: anything but 429 would lose the event.
      expect(reply.status).toBe(429);
      expect(reply.headers.get("retry-after")).not.toBeNull();
      expect(await reply.text()).not.toMatch(/ECONNREFUSED|postgres|pg_|stack/i);
    }
    expect((await fetch(new URL("/ready", intake.url))).status).toBe(503);

    // Back: nothing accepted was lost.
    link.restore();
    const { rows } = await eventually(() =>
      sql<{ webhook: string; status: string }>`
        select payload->>'id' as webhook, status from bridge.inbox where tenant_id = ${tenant} order by payload->>'id'`.execute(stack!.ownerDb),
    );
    expect(rows).toEqual(before.map((webhook) => ({ webhook, status: "PENDING" })));

    // The same intake recovers without a restart; GHL's retries of the refused deliveries land.
    await eventually(async () => expect((await fetch(new URL("/ready", intake.url))).status).toBe(200));
    for (const contact of during) expect((await deliver(intake, contactCreate(contact))).status).toBe(200);

    await startBridge({ processing: true });
    const everything = [...before, ...during];
    // Each applied exactly once: one lead per contact, every row APPLIED.
    await eventually(async () => expect(await mirrored()).toEqual([...everything].sort()), 30_000, 200);
    await eventually(async () => {
      const statuses = await sql<{ status: string; n: number }>`
        select status, count(*)::int as n from bridge.inbox where tenant_id = ${tenant} group by status`.execute(stack!.ownerDb);
      expect(statuses.rows).toEqual([{ status: "APPLIED", n: everything.length }]);
    });
  });
});
