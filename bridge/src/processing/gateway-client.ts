import { z } from "zod";
import { httpFetcher } from "../../../lib/http/http-fetcher";
import { ErrorCode } from "../../../lib/errors";
import type { GatewayOperation } from "./ghl-mapping";
import { transportReason } from "../transport-reason";

/** How the bridge proves itself to the gateway: an API key or a bearer JWT of a `tenants:any` service caller. */
export type GatewayCredentials = { apiKey: string } | { bearer: string };

/** What one operation came to. */
export type OperationOutcome =
  | { kind: "applied" }
  /** The event is valid but this part of it cannot apply (an illegal pipeline move): not worth a retry. */
  | { kind: "skipped"; reason: string }
  /** A failure that may pass (transport, 5xx, 429, a lead not mirrored yet). */
  | { kind: "retry"; reason: string }
  /**
   * A failure that never will (validation). `invalidFields` names the input fields at fault
   * when every error was one of them failing validation (leaving them out may then apply).
   */
  | { kind: "permanent"; reason: string; invalidFields?: string[] };

/** Runs gateway operations for one tenant at a time. */
export interface GatewayClient {
  execute(tenantId: string, operation: GatewayOperation): Promise<OperationOutcome>;
}

const USER_ERRORS = "userErrors { code message field }";

const DOCUMENTS: Record<GatewayOperation["kind"], string> = {
  upsertLead: `mutation($input: UpsertLeadFromGhlInput!) { result: upsertLeadFromGhl(input: $input) { ${USER_ERRORS} } }`,
  deleteLead: `mutation($input: DeleteLeadByGhlContactInput!) { result: deleteLeadByGhlContact(input: $input) { ${USER_ERRORS} } }`,
  changeStatus: `mutation($input: ChangeLeadStatusByGhlContactInput!) { result: changeLeadStatusByGhlContact(input: $input) { ${USER_ERRORS} } }`,
  recordMessage: `mutation($input: RecordLeadMessageInput!) { result: recordLeadMessage(input: $input) { ${USER_ERRORS} } }`,
  addNote: `mutation($input: AddLeadNoteFromGhlInput!) { result: addLeadNoteFromGhl(input: $input) { ${USER_ERRORS} } }`,
  recordAppointment: `mutation($input: RecordAppointmentFromGhlInput!) { result: recordAppointmentFromGhl(input: $input) { ${USER_ERRORS} } }`,
  provisionAccount: `mutation($input: ProvisionAccountInput!) { result: provisionAccount(input: $input) { ${USER_ERRORS} } }`,
  deactivateAccount: `mutation($input: DeactivateAccountInput!) { result: deactivateAccount(input: $input) { ${USER_ERRORS} } }`,
};

const responseSchema = z.object({
  data: z.object({ result: z.object({ userErrors: z.array(z.object({ code: z.string(), message: z.string(), field: z.array(z.string()) })) }).nullable() }).nullable().optional(),
  errors: z.array(z.object({ extensions: z.object({ code: z.string().optional() }).loose().optional() }).loose()).optional(),
});

// Failures of the request itself that no retry will fix. Anything else (rate limits,
// outages, credentials being rotated) may pass, and the attempt limit bounds the retries.
const PERMANENT_CODES: ReadonlySet<string> = new Set([
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.GRAPHQL_PARSE_FAILED,
  ErrorCode.GRAPHQL_VALIDATION_FAILED,
  ErrorCode.BAD_REQUEST,
  ErrorCode.QUERY_TOO_COMPLEX,
  ErrorCode.PAYLOAD_TOO_LARGE,
]);

function credentialHeaders(credentials: GatewayCredentials): Record<string, string> {
  return "apiKey" in credentials ? { "x-api-key": credentials.apiKey } : { authorization: `Bearer ${credentials.bearer}` };
}

/** Where and as whom the bridge calls the gateway. */
export interface GatewayTarget {
  gatewayUrl: string;
  credentials: GatewayCredentials;
  /** The header naming the tenant a `tenants:any` caller acts for. */
  tenantHeader: string;
  timeoutMs?: number;
}

/** What one POST came to: the HTTP status and the body (undefined when not JSON), or the transport failure. */
export type GatewayPost = { sent: true; status: number; body: unknown } | { sent: false; error: unknown };

/**
 * One GraphQL POST to the gateway as the service caller acting for `tenantId`, on the shared
 * kept-alive HTTP client, so every caller shares one pool of connections.
 */
export async function postToGateway(target: GatewayTarget, tenantId: string, query: string, variables: Record<string, unknown>): Promise<GatewayPost> {
  try {
    const response = await httpFetcher(target.gatewayUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json", ...credentialHeaders(target.credentials), [target.tenantHeader]: tenantId },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(target.timeoutMs ?? 10_000),
    });
    return { sent: true, status: response.status, body: await response.json().catch((): unknown => undefined) };
  } catch (error) {
    return { sent: false, error };
  }
}


/**
 * Creates the bridge's gateway client: GraphQL over HTTP as a service caller naming the
 * tenant in `x-hub-tenant`; every worker shares one pool of kept-alive connections to the
 * gateway.
 * Reasons it returns name status codes and error codes, never bodies or credentials.
 */
export function createGatewayClient(options: GatewayTarget): GatewayClient {
  return {
    async execute(tenantId, operation) {
      const post = await postToGateway(options, tenantId, DOCUMENTS[operation.kind], { input: operation.input });
      if (!post.sent) return { kind: "retry", reason: transportReason(post.error) };
      const { status, body } = post;
      const parsed = responseSchema.safeParse(body);
      if (status === 429 || status >= 500 || !parsed.success) {
        return { kind: "retry", reason: `${operation.kind}: HTTP ${status}${parsed.success ? "" : " without a GraphQL response"}` };
      }
      const codes = (parsed.data.errors ?? []).map((error) => error.extensions?.code ?? ErrorCode.INTERNAL_SERVER_ERROR);
      if (codes.length > 0) {
        const kind = codes.every((code) => PERMANENT_CODES.has(code)) ? "permanent" : "retry";
        return { kind, reason: `${operation.kind}: HTTP ${status}, ${[...new Set(codes)].join(", ")}` };
      }
      const userErrors = parsed.data.data?.result?.userErrors;
      if (!userErrors) return { kind: "retry", reason: `${operation.kind}: empty result` };
      if (userErrors.length === 0) return { kind: "applied" };
      const reason = `${operation.kind}: ${userErrors.map((e) => `${e.code} ${e.field.join(".")}: ${e.message}`).join("; ")}`;
      if (userErrors.every((e) => e.code === "ILLEGAL_TRANSITION")) return { kind: "skipped", reason };
      // The contact's lead may not exist yet (its ContactCreate still on its way): worth a retry.
      if (userErrors.every((e) => e.code === "NOT_FOUND")) return { kind: "retry", reason };
      const invalid = userErrors.every((e) => e.code === "INVALID_INPUT" && e.field[0] === "input" && e.field.length > 1);
      return invalid ? { kind: "permanent", reason, invalidFields: [...new Set(userErrors.map((e) => e.field[1]!))] } : { kind: "permanent", reason };
    },
  };
}
