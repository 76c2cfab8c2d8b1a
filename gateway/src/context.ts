import type { Identity } from "../../lib/auth/identity";

/** Per-request gateway context. */
export interface GatewayContext {
  requestId: string;
  /** The authenticated caller; absent only for the gateway's own internal requests. */
  identity?: Identity;
}
