/**
 * Most tokens the GraphQL parser reads from one document, on every transport (HTTP, graphql-ws,
 * SSE) at the gateway and the subgraphs: real operations are far smaller, and a huge
 * document costs parse time before any other limit can look at it.
 */
export const MAX_QUERY_TOKENS = 10_000;
