import { createDatabase } from "../../../lib/db/database";
import type { Logger } from "../../../lib/logger";
import type { BridgeDatabase } from "../database";
import type { BridgeProcessing } from "../index";
import type { GatewayCredentials } from "../processing/gateway-client";
import { ghlWriteBack } from "./ghl-writeback";
import type { GhlWriteBackConfig } from "./writeback-config";

/** What {@link ghlWriteBackProcessing} needs. */
export interface WriteBackProcessingOptions {
  config: GhlWriteBackConfig;
  /** The app role's connection string (the consumer's pool and its LISTEN connection). */
  databaseUrl: string;
  gatewayUrl: string;
  /** A `tenants:any` service caller that may read leads. */
  credentials: GatewayCredentials;
  logger: Logger;
}

/** The GHL write-back as the platform runs it: with a small pool of its own, closed after it stops. */
export function ghlWriteBackProcessing(options: WriteBackProcessingOptions): BridgeProcessing {
  const db = createDatabase<BridgeDatabase>(options.databaseUrl, { name: "bridge-writeback", poolSize: 2 });
  const writeBack = ghlWriteBack({ ...options, db, connectionString: options.databaseUrl });
  return {
    start: () => writeBack.start(),
    async stop() {
      await writeBack.stop();
      await db.destroy();
    },
  };
}
