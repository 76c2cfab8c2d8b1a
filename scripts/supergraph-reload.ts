import type { GatewayServer } from "../gateway/src/index";
import type { Logger } from "../lib/logger";
import { readSupergraphSdl } from "./schema-files";

/**
 * On SIGHUP, loads `schema/supergraph.graphql` again into the running gateway: a newly
 * composed supergraph goes live without a restart (queries plan against it at once; running
 * subscriptions end with `SUBSCRIPTION_SCHEMA_RELOAD` and clients resubscribe). A file that
 * cannot be read or loaded leaves the current supergraph in place. Returns the remover.
 */
export function reloadSupergraphOnHangup(gateway: GatewayServer, logger: Logger): () => void {
  const onHangup = (): void => {
    void (async () => {
      try {
        await gateway.reloadSupergraph(readSupergraphSdl());
        logger.info("supergraph reloaded");
      } catch (error) {
        logger.error({ err: error }, "supergraph reload failed; the current one stays");
      }
    })();
  };
  process.on("SIGHUP", onHangup);
  return () => process.off("SIGHUP", onHangup);
}
