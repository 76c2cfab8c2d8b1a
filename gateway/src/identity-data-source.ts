import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import type { IdentitySigner } from "../../lib/auth/identity";
import { httpFetcher } from "../../lib/http/http-fetcher";
import type { GatewayContext } from "./context";

/**
 * Calls one subgraph on behalf of the caller: the client's credentials never leave the
 * gateway; the subgraph gets a short-lived identity token addressed to it alone, and the
 * request id, through the shared kept-alive HTTP client.
 */
export class IdentityDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    url: string,
    private readonly subgraph: string,
    private readonly signer: IdentitySigner,
  ) {
    super({ url, fetcher: httpFetcher });
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const headers = request.http?.headers;
    if (!headers) return;
    if (!context.identity) throw new Error(`refusing to call ${this.subgraph} without a caller identity`);
    headers.set("authorization", `Bearer ${await this.signer.sign(context.identity, this.subgraph)}`);
    headers.set("x-request-id", context.requestId);
  }
}
