import { createDatabase } from "../../../lib/db/database";
import type { Logger } from "../../../lib/logger";
import type { BridgeDatabase } from "../database";
import type { GhlApiAccess } from "../ghl/ghl-api";
import type { BridgeProcessing } from "../index";
import type { GatewayCredentials } from "./gateway-client";
import { startInboxWorkers, type InboxWorkers } from "./inbox-workers";

/** Defaults for the platform's inbox workers. */
export const DEFAULT_INBOX_PROCESSING = { concurrency: 32, maxAttempts: 8, backoff: { baseMs: 1_000, maxMs: 300_000 } } as const;

/** What {@link inboxProcessing} needs: where the inbox and the gateway are, and who to call it as. */
export interface InboxProcessingOptions {
  /** The app role's connection string (the workers' pool and their LISTEN connection). */
  databaseUrl: string;
  gatewayUrl: string;
  /** A `tenants:any` + `accounts:manage` service caller. */
  credentials: GatewayCredentials;
  /** GHL's API, to name contacts' custom fields through each location's catalog; without it they are skipped. */
  ghlApi?: GhlApiAccess;
  logger: Logger;
}

/**
 * The bridge's processing as the platform runs it: inbox workers with their own pool,
 * started once intake listens and stopped (workers, then pool) after intake has closed.
 */
export function inboxProcessing(options: InboxProcessingOptions): BridgeProcessing {
  let workers: InboxWorkers | undefined;
  const db = createDatabase<BridgeDatabase>(options.databaseUrl, { name: "bridge-workers" });
  return {
    async start() {
      workers = await startInboxWorkers({
        db,
        connectionString: options.databaseUrl,
        gatewayUrl: options.gatewayUrl,
        credentials: options.credentials,
        ...(options.ghlApi ? { ghlApi: options.ghlApi } : {}),
        logger: options.logger,
        ...DEFAULT_INBOX_PROCESSING,
      });
    },
    async stop() {
      await workers?.stop();
      await db.destroy();
    },
  };
}
