import { sql } from "kysely";
import { createDatabase } from "../../lib/db/database";
import { startHttpServer, type RunningServer } from "../../lib/http/http-server";
import { createLogger, type Logger } from "../../lib/logger";
import type { GhlWebhookConfig } from "./config";
import type { BridgeDatabase } from "./database";
import { createSignatureVerifier } from "./intake/signature";
import { createWebhookRoutes } from "./intake/webhook.route";
import { createWebhookAdminRoutes } from "./admin/webhook-admin.route";
import type { GatewayDatabase } from "../../gateway/src/auth/api-key.repository";

/** The service's name: its metrics label, log name and database pool name. */
export const BRIDGE_SERVICE = "bridge";

/** The bridge's default port. */
export const DEFAULT_BRIDGE_PORT = 4010;

/** Background work over the inbox, started once intake listens and stopped after it has closed. */
export interface BridgeProcessing {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** What the bridge needs to run. */
export interface BridgeConfig extends GhlWebhookConfig {
  port: number;
  host?: string;
  /** Connection string of the application role (subject to row-level security). */
  databaseUrl: string;
  logger?: Logger;
  /** Background work this process runs (the inbox workers, the GHL write-back), started in order. */
  processing?: readonly BridgeProcessing[];
}

/**
 * Starts the GHL webhook bridge: `POST /webhooks/ghl` and `POST /webhooks/ghl/workflow/:locationId`
 * into the inbox, the dead-letter admin (`/admin/webhooks`), plus `/health`, `/ready`, `/metrics`; nothing runs until this is called.
 * The returned `url` is the server's base address.
 */
export async function createBridge(config: BridgeConfig): Promise<RunningServer> {
  const logger = config.logger ?? createLogger(BRIDGE_SERVICE);
  // Keys are checked before anything is opened: a bad one fails the start, not a delivery.
  const verifier = createSignatureVerifier({
    publicKeys: config.publicKeys,
    ...(config.legacyPublicKey !== undefined ? { legacyPublicKey: config.legacyPublicKey } : {}),
    ...(config.legacySignatureUntil !== undefined ? { legacySignatureUntil: config.legacySignatureUntil } : {}),
  });
  const db = createDatabase<BridgeDatabase>(config.databaseUrl, { name: BRIDGE_SERVICE });
  // Operators' API keys live in the gateway's schema; a small pool of their own reads them.
  const keys = createDatabase<GatewayDatabase>(config.databaseUrl, { name: "bridge-admin", poolSize: 2 });
  const closeDatabases = async () => {
    await keys.destroy();
    await db.destroy();
  };
  const webhooks = createWebhookRoutes({ db, verifier, maxAgeMs: config.maxAgeMs, workflowSecrets: config.workflowSecrets, logger });
  const admin = createWebhookAdminRoutes({ db, keys, logger });
  let server: RunningServer;
  try {
    server = await startHttpServer({
      name: BRIDGE_SERVICE,
      port: config.port,
      ...(config.host ? { host: config.host } : {}),
      urlPath: "",
      ready: async () => void (await sql`select 1`.execute(db)),
      logger,
      routes: async (req, res, requestId, url) => (await webhooks(req, res, requestId, url)) || admin(req, res, requestId, url),
    });
  } catch (error) {
    await closeDatabases();
    throw error;
  }
  /** Started parts, newest first: stopped in that order. */
  const running: BridgeProcessing[] = [];
  try {
    for (const part of config.processing ?? []) {
      await part.start();
      running.unshift(part);
    }
  } catch (error) {
    await server.stop();
    for (const part of running) await part.stop().catch(() => undefined);
    await closeDatabases();
    throw error;
  }
  return {
    ...server,
    async stop() {
      // Intake first: once it has closed, nothing new reaches the inbox for processing to miss.
      await server.stop();
      try {
        for (const part of running) await part.stop();
      } finally {
        await closeDatabases();
      }
    },
  };
}
