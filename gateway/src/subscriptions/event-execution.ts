import { createHash } from "node:crypto";
import { buildOperationContext, executeQueryPlan, type GraphQLDataSource, type ServiceMap } from "@apollo/gateway";
import type { PlanNode } from "@apollo/query-planner";
import type { DocumentNode, FormattedExecutionResult, OperationDefinitionNode } from "graphql";
import type { Logger } from "../../../lib/logger";
import type { GatewayContext } from "../context";
import { EntityFetchBatcher } from "./entity-batching";
import type { SubscriptionPlan, SupergraphSnapshot } from "./supergraph-snapshot";

/** The request context `executeQueryPlan` reads (the gateway does not export its type). */
type PlanRequestContext = Parameters<typeof executeQueryPlan>[2];
type OperationContext = ReturnType<typeof buildOperationContext>;
/** What `executeQueryPlan` resolves to: data plus unformatted `GraphQLError`s. */
export type PlanResult = Awaited<ReturnType<typeof executeQueryPlan>>;

/** One event as the owning subgraph sent it: the result of the plan's primary fetch. */
export type UpstreamEvent = FormattedExecutionResult<Record<string, unknown>, unknown>;

/** One subscription's operation, as its events are executed. */
export interface EventOperation {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  source: string;
  variables: Readonly<Record<string, unknown>>;
}

/**
 * Nothing on the event path reads a cache; the gateway's data sources only need the object
 * to exist. Kept as a no-op rather than a real cache so events never share state.
 */
const NO_CACHE: PlanRequestContext["cache"] = {
  get: async () => undefined,
  set: async () => undefined,
  delete: async () => undefined,
};

/**
 * Executes one subscription's events: the plan's primary fetch, answered by the event
 * itself, then the rest of the plan (entity fetches to other subgraphs, `@requires`, result
 * shaping, error paths) by the gateway's own `executeQueryPlan`, exactly as for a query.
 */
export class EventExecutor {
  private readonly operationContext: OperationContext;
  private readonly node: PlanNode;
  private readonly base: Omit<PlanRequestContext, "metrics" | "context">;
  /** Each subgraph's data source, merging the entity fetches of events executing together. */
  private readonly batchers = new WeakMap<GraphQLDataSource, EntityFetchBatcher>();

  constructor(
    private readonly snapshot: SupergraphSnapshot,
    private readonly plan: SubscriptionPlan,
    operation: EventOperation,
    private readonly dataSources: () => ServiceMap,
    logger: Logger,
  ) {
    const operationName = operation.operation.name?.value;
    this.operationContext = buildOperationContext({ schema: snapshot.apiSchema, operationDocument: operation.document, ...(operationName ? { operationName } : {}) });
    // The gateway cannot execute a Subscription node; the same fetches as a sequence it can.
    this.node = plan.rest ? { kind: "Sequence", nodes: [plan.primary, plan.rest] } : plan.primary;
    this.base = {
      request: { query: operation.source, variables: { ...operation.variables }, ...(operationName ? { operationName } : {}) },
      logger,
      schema: snapshot.apiSchema,
      // A branded string only Apollo Server mints; nothing on the execution path reads it.
      schemaHash: "" as PlanRequestContext["schemaHash"],
      cache: NO_CACHE,
      queryHash: createHash("sha256").update(operation.source).digest("hex"),
      document: operation.document,
      source: operation.source,
      operationName: operationName ?? null,
      operation: this.operationContext.operation,
      overallCachePolicy: undefined,
    };
  }

  /**
   * The event's result for the subscription's selection, with errors not yet masked; the
   * rest of the plan's fetches go out as `context.identity`, tagged `context.requestId`.
   */
  async execute(event: UpstreamEvent, context: GatewayContext): Promise<PlanResult> {
    const { primary } = this.plan;
    const services = this.dataSources();
    const owner = services[primary.serviceName];
    // The primary fetch's operation is a subscription, so no later fetch of the plan can
    // share its text: matching on it answers exactly that one fetch with the event.
    const standIn: GraphQLDataSource = {
      process: (options) => {
        if (options.request.query === primary.operation) return Promise.resolve({ data: event.data ?? null, ...(event.errors ? { errors: event.errors } : {}) });
        if (!owner) return Promise.reject(new Error(`no data source for subgraph ${primary.serviceName}`));
        return owner.process(options);
      },
    };
    const serviceMap: ServiceMap = { [primary.serviceName]: standIn };
    for (const [name, source] of Object.entries(services)) if (name !== primary.serviceName) serviceMap[name] = this.batcherFor(source);
    // A fresh metrics object per event: executeQueryPlan appends error paths to it.
    const requestContext: PlanRequestContext = { ...this.base, context, metrics: {} };
    return executeQueryPlan({ kind: "QueryPlan", node: this.node }, serviceMap, requestContext, this.operationContext, this.snapshot.supergraphSchema, this.snapshot.plannerApiSchema);
  }

  private batcherFor(source: GraphQLDataSource): EntityFetchBatcher {
    let batcher = this.batchers.get(source);
    if (!batcher) {
      batcher = new EntityFetchBatcher(source);
      this.batchers.set(source, batcher);
    }
    return batcher;
  }
}
