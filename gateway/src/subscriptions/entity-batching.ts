import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import type { GraphQLFormattedError } from "graphql";
import type { GatewayContext } from "../context";

type ProcessOptions = GraphQLDataSourceProcessOptions<GatewayContext>;
type Response = Awaited<ReturnType<GraphQLDataSource<GatewayContext>["process"]>>;

/** An entity fetch waiting for its turn's batch: how many representations it brought. */
interface Waiting {
  options: ProcessOptions;
  representations: readonly unknown[];
  resolve(response: Response): void;
  reject(error: unknown): void;
}

/** The representations of an `_entities` fetch, or undefined for any other request. */
function representationsOf(options: ProcessOptions): readonly unknown[] | undefined {
  const representations: unknown = options.request.variables?.["representations"];
  return Array.isArray(representations) ? representations : undefined;
}

/**
 * The errors of a merged answer that belong to the fetch whose representations start at
 * `offset`: those under its own `_entities` slice (renumbered), and those tied to no entity.
 */
function errorsFor(errors: readonly GraphQLFormattedError[] | undefined, offset: number, count: number): GraphQLFormattedError[] | undefined {
  if (!errors) return undefined;
  const mine: GraphQLFormattedError[] = [];
  for (const error of errors) {
    const [root, index, ...rest] = error.path ?? [];
    if (root !== "_entities" || typeof index !== "number") mine.push(error);
    else if (index >= offset && index < offset + count) mine.push({ ...error, path: ["_entities", index - offset, ...rest] });
  }
  return mine.length > 0 ? mine : undefined;
}

/**
 * One subgraph's data source as the events of one shared subscription use it: entity
 * fetches of the same operation that start in the same turn of the event loop (a burst of
 * events executing side by side) go out as one `_entities` request carrying all their
 * representations, and each gets its own slice of the answer. The subgraph then loads the
 * burst's entities in one query instead of one request and transaction per event. Any other
 * request passes straight through. Only fetches of one subscription are merged, so they run
 * as one identity; the first one's request (and request id) carries the batch.
 */
export class EntityFetchBatcher implements GraphQLDataSource<GatewayContext> {
  private readonly turns = new Map<string, Waiting[]>();

  constructor(private readonly inner: GraphQLDataSource<GatewayContext>) {}

  process(options: ProcessOptions): Promise<Response> {
    const representations = representationsOf(options);
    if (!representations) return this.inner.process(options);
    const { representations: _merged, ...others } = options.request.variables ?? {};
    const key = JSON.stringify([options.request.query, options.request.operationName ?? null, others]);
    return new Promise<Response>((resolve, reject) => {
      let turn = this.turns.get(key);
      if (!turn) {
        turn = [];
        this.turns.set(key, turn);
        setImmediate(() => void this.flush(key));
      }
      turn.push({ options, representations, resolve, reject });
    });
  }

  private async flush(key: string): Promise<void> {
    const turn = this.turns.get(key) ?? [];
    this.turns.delete(key);
    const [first] = turn;
    if (!first) return;
    if (turn.length === 1) {
      this.inner.process(first.options).then(first.resolve, first.reject);
      return;
    }
    const merged: ProcessOptions = {
      ...first.options,
      request: { ...first.options.request, variables: { ...first.options.request.variables, representations: turn.flatMap((waiting) => waiting.representations) } },
    };
    let response: Response;
    try {
      response = await this.inner.process(merged);
    } catch (error) {
      for (const waiting of turn) waiting.reject(error);
      return;
    }
    const entities: unknown = response.data?.["_entities"];
    let offset = 0;
    for (const waiting of turn) {
      const count = waiting.representations.length;
      const errors = errorsFor(response.errors, offset, count);
      waiting.resolve({
        ...response,
        data: Array.isArray(entities) ? { ...response.data, _entities: entities.slice(offset, offset + count) } : response.data,
        ...(errors ? { errors } : { errors: undefined }),
      });
      offset += count;
    }
  }
}
