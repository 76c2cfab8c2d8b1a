import { Supergraph, operationFromDocument, type Schema } from "@apollo/federation-internals";
import { QueryPlanner, type FetchNode, type PlanNode } from "@apollo/query-planner";
import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from "graphql";

/** What `ApolloGateway.onSchemaLoadOrUpdate` announces. */
export interface SchemaUpdate {
  /** The API schema clients validate against (graphql-js). */
  apiSchema: GraphQLSchema;
  /** The supergraph SDL it was built from. */
  coreSupergraphSdl: string;
}

/** How one subscription runs across the subgraphs. */
export interface SubscriptionPlan {
  /** The fetch the owning subgraph streams: sent once, answered by every event. */
  primary: FetchNode;
  /** What completes each event from other subgraphs (entity fields), if the selection needs any. */
  rest: PlanNode | undefined;
}

/**
 * One loaded supergraph and a query planner over it. The gateway keeps its own planner
 * private and refuses to execute subscription plans, so the subscription path builds its
 * own from the same SDL each time the gateway loads one.
 */
export class SupergraphSnapshot {
  private constructor(
    /** The API schema operations are validated against. */
    readonly apiSchema: GraphQLSchema,
    /** The supergraph as graphql-js, which `executeQueryPlan` reads type conditions from. */
    readonly supergraphSchema: GraphQLSchema,
    /** The API schema as federation-internals, which planning and result shaping read. */
    readonly plannerApiSchema: Schema,
    private readonly planner: QueryPlanner,
  ) {}

  /** Builds the snapshot of a schema the gateway has just loaded. */
  static build({ apiSchema, coreSupergraphSdl }: SchemaUpdate): SupergraphSnapshot {
    // The gateway validated this SDL before announcing it; validating again only costs start-up time.
    const supergraph = Supergraph.build(coreSupergraphSdl, { validateSupergraph: false });
    return new SupergraphSnapshot(apiSchema, supergraph.schema.toGraphQLJSSchema(), supergraph.apiSchema(), new QueryPlanner(supergraph));
  }

  /**
   * Plans a validated subscription operation. Throws if the plan is not a subscription plan,
   * which only a document that is not a subscription can produce.
   */
  planSubscription(document: DocumentNode, operation: OperationDefinitionNode): SubscriptionPlan {
    const parsed = operationFromDocument(this.plannerApiSchema, document, { operationName: operation.name?.value, validate: false });
    const plan = this.planner.buildQueryPlan(parsed);
    if (plan.node?.kind !== "Subscription") throw new Error(`expected a subscription plan, got ${plan.node?.kind ?? "an empty plan"}`);
    return { primary: plan.node.primary, rest: plan.node.rest };
  }
}
