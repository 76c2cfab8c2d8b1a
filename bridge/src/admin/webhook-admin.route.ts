import type { Kysely } from "kysely";
import { SCOPE_ANY_TENANT, Role } from "../../../lib/auth/roles";
import { withTenant } from "../../../lib/db/tenant";
import { ErrorCode } from "../../../lib/errors";
import { sendError, sendJson, type HttpRoutes } from "../../../lib/http/http-server";
import { isTenantId, isUuid } from "../../../lib/ids";
import type { Logger } from "../../../lib/logger";
import type { GatewayDatabase } from "../../../gateway/src/auth/api-key.repository";
import { verifyApiKey } from "../../../gateway/src/auth/api-key.service";
import { TENANT_HEADER } from "../../../gateway/src/auth/authenticate";
import type { BridgeDatabase, InboxStatus } from "../database";
import { listInboxRows, replayDeadRow } from "./webhook-admin.repository";

const LIST_LIMIT = 100;
const STATUSES: readonly InboxStatus[] = ["PENDING", "IGNORED", "PROCESSING", "APPLIED", "RETRYING", "DEAD"];
const REPLAY_PATH = /^\/admin\/webhooks\/([^/]+)\/replay$/;

function isInboxStatus(value: unknown): value is InboxStatus {
  return STATUSES.some((status) => status === value);
}

/** What {@link createWebhookAdminRoutes} needs. */
export interface WebhookAdminOptions {
  /** The app role's handle over the inbox. */
  db: Kysely<BridgeDatabase>;
  /** The gateway's API keys: the bridge accepts exactly the keys clients use. */
  keys: Kysely<GatewayDatabase>;
  logger: Logger;
}

/**
 * Operators' view of the inbox, for one tenant at a time, with the platform's API keys:
 * `GET /admin/webhooks?status=dead` lists rows (no payloads), and
 * `POST /admin/webhooks/:id/replay` sends a DEAD row back to the workers. An ADMIN key acts
 * for its own tenant; a `tenants:any` ADMIN key names the tenant in `x-hub-tenant`.
 */
export function createWebhookAdminRoutes({ db, keys, logger }: WebhookAdminOptions): HttpRoutes {

  /** The tenant the caller may act for, or null once a refusal was sent. */
  async function tenantOf(headers: Record<string, string | string[] | undefined>, res: Parameters<HttpRoutes>[1], requestId: string): Promise<string | null> {
    const presented = headers["x-api-key"];
    const grant = typeof presented === "string" ? await verifyApiKey(keys, presented) : null;
    if (!grant) {
      logger.info({ requestId, security: true }, "webhook admin refused: missing or invalid API key");
      sendError(res, 401, ErrorCode.UNAUTHENTICATED, "an ADMIN API key is required (x-api-key)", requestId);
      return null;
    }
    if (grant.role !== Role.ADMIN) {
      sendError(res, 403, ErrorCode.FORBIDDEN, "this operation requires role ADMIN", requestId);
      return null;
    }
    const named = headers[TENANT_HEADER];
    if (typeof named === "string" && named !== grant.tenantId) {
      if (!grant.scopes.includes(SCOPE_ANY_TENANT)) {
        sendError(res, 403, ErrorCode.FORBIDDEN, `this key may not act for another tenant (${TENANT_HEADER})`, requestId);
        return null;
      }
      if (!isTenantId(named)) {
        sendError(res, 400, ErrorCode.BAD_USER_INPUT, `${TENANT_HEADER} is not a valid tenant id`, requestId);
        return null;
      }
      return named;
    }
    return grant.tenantId;
  }

  return async (req, res, requestId, url) => {
    const replay = REPLAY_PATH.exec(url.pathname);
    if (url.pathname !== "/admin/webhooks" && !replay) return false;
    if (req.method !== (replay ? "POST" : "GET")) {
      res.setHeader("allow", replay ? "POST" : "GET");
      sendError(res, 405, ErrorCode.BAD_REQUEST, `use ${replay ? "POST" : "GET"}`, requestId);
      return true;
    }
    const tenant = await tenantOf(req.headers, res, requestId);
    if (tenant === null) return true;

    if (replay) {
      const id = decodeURIComponent(replay[1]!);
      const replayed = isUuid(id) && (await withTenant(db, tenant, (trx) => replayDeadRow(trx, tenant, id)));
      if (!replayed) {
        sendError(res, 404, ErrorCode.NOT_FOUND, "no dead webhook with this id for this tenant", requestId);
        return true;
      }
      logger.info({ requestId, tenant, inboxId: id }, "dead webhook replayed");
      sendJson(res, 202, { id, status: "PENDING" });
      return true;
    }
    const status = (url.searchParams.get("status") ?? "dead").toUpperCase();
    if (!isInboxStatus(status)) {
      sendError(res, 400, ErrorCode.BAD_USER_INPUT, `status must be one of ${STATUSES.map((s) => s.toLowerCase()).join(", ")}`, requestId);
      return true;
    }
    const webhooks = await withTenant(db, tenant, (trx) => listInboxRows(trx, tenant, status, LIST_LIMIT));
    sendJson(res, 200, { tenant, status, webhooks });
    return true;
  };
}
