import { Directive, Field, Int, ObjectType, type ClassType } from "type-graphql";
import { encodeCursor, type KeysetPosition } from "./cursor";
import type { PageRequest } from "./page-request";

/** Relay page info; shared by every subgraph, hence `@shareable`. */
@Directive("@shareable")
@ObjectType({ description: "Where a page sits in its connection." })
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field()
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

/** One edge of a connection. */
export interface Edge<T> {
  cursor: string;
  node: T;
}

/** A Relay connection page. */
export interface Connection<T> {
  edges: Edge<T>[];
  nodes: T[];
  pageInfo: PageInfo;
  totalCount: number;
}

/**
 * Declares the GraphQL `<Name>Connection` and `<Name>Edge` types for `nodeType`.
 * Use once per node type: `export const LeadConnection = connectionType("Lead", Lead)`.
 */
export function connectionType<T extends object>(name: string, nodeType: ClassType<T>): ClassType<Connection<T>> {
  @ObjectType(`${name}Edge`, { description: `An edge to a ${name}.` })
  class EdgeType implements Edge<T> {
    @Field({ description: "Opaque position of this node; pass to `after` or `before`." })
    cursor!: string;

    @Field(() => nodeType)
    node!: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${name} nodes.` })
  class ConnectionType implements Connection<T> {
    @Field(() => [EdgeType])
    edges!: EdgeType[];

    @Field(() => [nodeType], { description: "The nodes of `edges`, for clients that need no cursors." })
    nodes!: T[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int, { description: "Nodes matching the filter, across all pages." })
    totalCount!: number;
  }
  return ConnectionType;
}

/** What a keyset query returned for one page. */
export interface PageResult<T> {
  /** Rows in read order (reversed for backward pages), up to `limit + 1`. */
  rows: T[];
  totalCount: number;
  /** Whether any row lies on the other side of the request's cursor. */
  hasRowsBeforeCursor: boolean;
}

/** Turns a keyset query's rows into a connection page, with cursors bound to the request's query. */
export function toConnection<T>(request: PageRequest, result: PageResult<T>, positionOf: (node: T) => KeysetPosition): Connection<T> {
  const hasMore = result.rows.length > request.limit;
  const page = result.rows.slice(0, request.limit);
  if (request.direction === "backward") page.reverse();
  const edges = page.map((node) => ({ node, cursor: encodeCursor(request.queryKey, positionOf(node)) }));
  const forward = request.direction === "forward";
  return {
    edges,
    nodes: page,
    totalCount: result.totalCount,
    pageInfo: {
      hasNextPage: forward ? hasMore : result.hasRowsBeforeCursor,
      hasPreviousPage: forward ? result.hasRowsBeforeCursor : hasMore,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}

/** Maps a connection's nodes (rows to domain objects), keeping cursors and page info. */
export function mapConnection<T, U>(connection: Connection<T>, map: (node: T) => U): Connection<U> {
  const edges = connection.edges.map((edge) => ({ cursor: edge.cursor, node: map(edge.node) }));
  return { ...connection, edges, nodes: edges.map((edge) => edge.node) };
}
