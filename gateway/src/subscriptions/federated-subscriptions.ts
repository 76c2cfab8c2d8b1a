import type { ApolloServer, GraphQLResponse } from "@apollo/server";
import {
  GraphQLError,
  Kind,
  getOperationAST,
  getVariableValues,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import type { IdentitySigner } from "../../../lib/auth/identity";
import { ErrorCode, clientError, withCode } from "../../../lib/errors";
import { uuidv7 } from "../../../lib/ids";
import type { Logger } from "../../../lib/logger";
import type { Authenticator, Credentials } from "../auth/authenticate";
import type { GatewayLimits, GatewaySubscriptions } from "../config";
import type { GatewayContext } from "../context";
import { queryLimitError } from "../limits";
import type { RateLimiter } from "../rate-limit/rate-limit";
import { ClientSession } from "./client-session";
import { EventExecutor, type UpstreamEvent } from "./event-execution";
import { createErrorMasking, type ErrorMasking, type MaskedGraphQLError } from "./masked-errors";
import type { SubgraphDirectory } from "./subgraph-directory";
import { activeSubscriptions, endedSubscriptions, type Transport } from "./subscription-metrics";
import { SubscriptionSlots, type SubscriptionSlot } from "./subscription-slots";
import { SubscriptionStream } from "./subscription-stream";
import { SupergraphSnapshot, type SchemaUpdate, type SubscriptionPlan } from "./supergraph-snapshot";
import { UpstreamClients, type UpstreamFailure } from "./upstream-clients";

/** Parser token limit, as for GraphQL over HTTP. */
const MAX_TOKENS = 10_000;

/** A GraphQL request as a streaming transport received it (a graphql-ws subscribe, a graphql-sse request). */
export interface StreamedRequest {
  query: string;
  variables?: Readonly<Record<string, unknown>> | null | undefined;
  operationName?: string | null | undefined;
}

/** A request that was refused before it ran, and the id its masked errors carry. */
export interface OperationRefusal {
  requestId: string;
  /** Unmasked: a transport that speaks HTTP reads their status first; {@link FederatedSubscriptions.mask} them before sending. */
  errors: readonly GraphQLError[];
}

/** A subscription that passed every check and holds its slot. */
interface PlannedSubscription {
  snapshot: SupergraphSnapshot;
  plan: SubscriptionPlan;
  field: string;
  slot: SubscriptionSlot;
}

/**
 * An operation that passed every check, ready for {@link FederatedSubscriptions.run}. It
 * travels through graphql-ws and graphql-sse as the execution context, where a class is what
 * lets it be told apart from anything else.
 */
export class PreparedOperation {
  constructor(
    readonly session: ClientSession,
    readonly requestId: string,
    readonly request: StreamedRequest,
    /** The API schema it was checked against. */
    readonly schema: GraphQLSchema,
    readonly document: DocumentNode,
    readonly operation: OperationDefinitionNode,
    /** Set for a subscription; queries and mutations run through Apollo Server. */
    readonly subscription: PlannedSubscription | undefined,
  ) {}
}

/** Options for {@link FederatedSubscriptions}. */
export interface FederatedSubscriptionsOptions {
  /** Runs queries and mutations, so limits, masking and plugins apply as over HTTP. */
  apollo: ApolloServer<GatewayContext>;
  authenticate: Authenticator;
  rateLimiter: RateLimiter | undefined;
  directory: SubgraphDirectory;
  signer: IdentitySigner;
  limits: GatewayLimits;
  settings: GatewaySubscriptions;
  logger: Logger;
}

/** The root field a subscription selects (validation allows exactly one, and no fragment cycles), for metrics. */
function rootFieldOf(document: DocumentNode, selectionSet: SelectionSetNode): string {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) return selection.name.value;
    const nested =
      selection.kind === Kind.INLINE_FRAGMENT
        ? selection.selectionSet
        : document.definitions.find((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === selection.name.value)?.selectionSet;
    if (nested) return rootFieldOf(document, nested);
  }
  return "unknown";
}

/** The variables a fetch uses, of those the client sent. */
function variablesFor(usages: readonly string[] | undefined, variables: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const name of usages ?? []) if (Object.hasOwn(variables, name) && variables[name] !== undefined) picked[name] = variables[name];
  return picked;
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** A subgraph's formatted error, as a `GraphQLError` the gateway's masking can judge. */
function fromUpstream(error: GraphQLFormattedError): GraphQLError {
  return new GraphQLError(error.message, { ...(error.extensions ? { extensions: error.extensions } : {}) });
}

/**
 * The one execution core behind the gateway's streaming transports (graphql-ws and SSE):
 * authenticates connections, checks every operation (rate limit, parse, validation, query
 * limits, subscription limits), runs queries and mutations through Apollo Server and
 * subscriptions across the subgraphs, and ends subscriptions when their credentials expire,
 * the supergraph changes, or their subgraph fails.
 *
 * A subscription is planned like any operation; its plan's primary fetch is sent to the
 * owning subgraph over a multiplexed graphql-ws connection with the caller's identity
 * token, and every event it returns is completed by the rest of the plan through the
 * gateway's own `executeQueryPlan`, one event at a time, in order.
 */
export class FederatedSubscriptions {
  /** The API schema the gateway serves now; operations are checked against it. */
  private apiSchema: GraphQLSchema | undefined;
  /** The planner over the same supergraph; undefined if it could not be built (subscriptions are refused). */
  private snapshot: SupergraphSnapshot | undefined;
  private readonly running = new Set<SubscriptionStream>();
  private readonly slots: SubscriptionSlots;
  private readonly upstream: UpstreamClients;
  private readonly masking: ErrorMasking;
  private stopped = false;

  constructor(private readonly options: FederatedSubscriptionsOptions) {
    this.slots = new SubscriptionSlots(options.settings);
    this.masking = createErrorMasking(options.logger);
    this.upstream = new UpstreamClients({
      urlOf: (subgraph) => options.directory.urlOf(subgraph),
      signer: options.signer,
      logger: options.logger,
    });
  }

  /**
   * Takes the schema the gateway has just loaded (`onSchemaLoadOrUpdate`). Subscriptions
   * planned on the previous one end with `SUBSCRIPTION_SCHEMA_RELOAD`: their plans, and
   * perhaps their fields, no longer hold.
   */
  onSchema(update: SchemaUpdate): void {
    this.apiSchema = update.apiSchema;
    try {
      this.snapshot = SupergraphSnapshot.build(update);
    } catch (error) {
      this.snapshot = undefined;
      this.options.logger.error({ err: error }, "could not plan subscriptions over the new supergraph; subscriptions are refused until the next one");
    }
    const stale = [...this.running];
    if (stale.length > 0) this.options.logger.info({ subscriptions: stale.length }, "supergraph reloaded: ending running subscriptions");
    for (const stream of stale) stream.end("schema_reload");
  }

  /**
   * Authenticates a connection. Rejects with the authenticator's client error (refused
   * credentials) or with an unexpected failure, which the transport reports as its own.
   */
  async openSession(credentials: Credentials, options: { transport: Transport; dropConnection(): void }): Promise<ClientSession> {
    const identity = await this.options.authenticate(credentials);
    return new ClientSession({ id: uuidv7(), identity, ...options });
  }

  /** Counts one request against the session's tenant rate; the `RATE_LIMITED` error if it is over. */
  async admit(session: ClientSession): Promise<GraphQLError | undefined> {
    try {
      await this.options.rateLimiter?.check(session.identity);
      return undefined;
    } catch (error) {
      if (error instanceof GraphQLError) return error;
      throw error;
    }
  }

  /**
   * Checks an operation arriving on `session`: credentials still valid, tenant rate, parse,
   * and for subscriptions validation, query limits, variables, the plan and a slot. Resolves
   * the operation ready to run, or its refusal.
   */
  async prepare(session: ClientSession, request: StreamedRequest, requestId: string = uuidv7()): Promise<PreparedOperation | OperationRefusal> {
    const refuse = (...errors: GraphQLError[]): OperationRefusal => ({ requestId, errors });
    if (session.isClosed) return refuse(clientError(ErrorCode.BAD_REQUEST, "the connection is closing"));
    if (session.credentialsExpired) return refuse(clientError(ErrorCode.UNAUTHENTICATED, "the credentials of this connection have expired; reconnect with fresh credentials"));
    const rateLimited = await this.admit(session);
    if (rateLimited) return refuse(rateLimited);
    const { apiSchema, snapshot } = this;
    if (!apiSchema || this.stopped) return refuse(new GraphQLError("no supergraph to run operations on"));

    let document: DocumentNode;
    try {
      document = parse(request.query, { maxTokens: MAX_TOKENS });
    } catch (error) {
      if (error instanceof GraphQLError) return refuse(withCode(error, ErrorCode.GRAPHQL_PARSE_FAILED));
      throw error;
    }
    const operation = getOperationAST(document, request.operationName ?? undefined);
    if (!operation) return refuse(clientError(ErrorCode.OPERATION_RESOLUTION_FAILURE, "no single operation to run: name one with `operationName`"));
    if (operation.operation !== "subscription") return new PreparedOperation(session, requestId, request, apiSchema, document, operation, undefined);
    if (!snapshot) return refuse(new GraphQLError("no subscription planner for the loaded supergraph"));

    const invalid = validate(snapshot.apiSchema, document);
    if (invalid.length > 0) return refuse(...invalid.map((error) => withCode(error, ErrorCode.GRAPHQL_VALIDATION_FAILED)));
    const tooComplex = queryLimitError(document, request.query, this.options.limits);
    if (tooComplex) return refuse(tooComplex);
    const coerced = getVariableValues(snapshot.apiSchema, operation.variableDefinitions ?? [], { ...request.variables });
    if (coerced.errors) return refuse(...coerced.errors.map((error) => withCode(error, ErrorCode.BAD_USER_INPUT)));
    let plan: SubscriptionPlan;
    try {
      plan = snapshot.planSubscription(document, operation);
    } catch (error) {
      this.options.logger.error({ err: error, requestId }, "subscription planning failed");
      return refuse(new GraphQLError("subscription planning failed"));
    }
    // Taken last: nothing after this can refuse, so a slot is never held by a refused subscribe.
    const slot = this.slots.reserve(session);
    if (slot instanceof GraphQLError) return refuse(slot);
    return new PreparedOperation(session, requestId, request, snapshot.apiSchema, document, operation, { snapshot, plan, field: rootFieldOf(document, operation.selectionSet), slot });
  }

  /** Masks a refusal's errors (or any errors) for the client, stamping internal ones with `requestId`. */
  mask(errors: readonly GraphQLError[], requestId: string): MaskedGraphQLError[] {
    return errors.map((error) => this.masking.mask(error, requestId));
  }

  /** Runs a prepared operation: a query or mutation's result, or a subscription's stream of results. */
  run(prepared: PreparedOperation): Promise<ExecutionResult | SubscriptionStream> {
    return prepared.subscription ? this.subscribe(prepared, prepared.subscription) : this.execute(prepared);
  }

  /** Ends every subscription and closes the connections to the subgraphs. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const stream of [...this.running]) stream.end("shutdown");
    await this.upstream.dispose();
  }

  private async execute(prepared: PreparedOperation): Promise<ExecutionResult> {
    const { request, requestId, session } = prepared;
    let response: GraphQLResponse;
    try {
      response = await this.options.apollo.executeOperation(
        {
          query: request.query,
          ...(request.variables ? { variables: { ...request.variables } } : {}),
          ...(request.operationName ? { operationName: request.operationName } : {}),
        },
        { contextValue: { requestId, identity: session.identity } },
      );
    } catch (error) {
      // One failed operation must not take the connection (and its other operations) down.
      return { errors: this.mask([new GraphQLError("operation failed", { originalError: asError(error) })], requestId) };
    }
    if (response.body.kind !== "single") {
      return { errors: this.mask([clientError(ErrorCode.BAD_REQUEST, "incremental delivery (@defer) is served over HTTP only")], requestId) };
    }
    // Apollo Server has masked these already, through the same formatError as HTTP.
    const { data, errors, extensions } = response.body.singleResult;
    return {
      ...(data !== undefined ? { data } : {}),
      ...(errors ? { errors: errors.map((error) => this.masking.formatted(error)) } : {}),
      ...(extensions ? { extensions } : {}),
    };
  }

  private async subscribe(prepared: PreparedOperation, planned: PlannedSubscription): Promise<SubscriptionStream> {
    const { session, requestId, request, document, operation } = prepared;
    const { plan, field, slot, snapshot } = planned;
    const { logger, settings, signer, directory } = this.options;
    const variables = { ...request.variables };
    const executor = new EventExecutor(snapshot, plan, { document, operation, source: request.query, variables, context: { requestId, identity: session.identity } }, () => directory.dataSources(), logger);
    const labels = { field, transport: session.transport };

    let unsubscribe: () => void = () => undefined;
    const stream: SubscriptionStream = new SubscriptionStream({
      field,
      maxQueuedEvents: settings.maxQueuedEvents,
      execute: (event) => this.executeEvent(executor, event, requestId),
      finalResult: (errors) => ({ errors: this.mask(errors, requestId) }),
      onOverflow: () => {
        logger.warn({ requestId, session: session.id, field, queued: settings.maxQueuedEvents }, "subscriber fell behind its events; dropping the client");
        session.dropSlowConsumer();
      },
      onEnd: (reason) => {
        unsubscribe();
        slot.release();
        this.running.delete(stream);
        session.subscriptions.delete(stream);
        activeSubscriptions.dec(labels);
        endedSubscriptions.inc({ reason });
        logger.debug({ requestId, session: session.id, field, reason }, "subscription ended");
      },
    });
    this.running.add(stream);
    session.subscriptions.add(stream);
    activeSubscriptions.inc(labels);
    // Registered from here on, the stream is ended by whatever ends the session or the gateway's
    // subscriptions; what happened since the operation was prepared ends it now.
    if (session.isClosed) stream.end("client");
    else if (this.stopped) stream.end("shutdown");
    else if (this.snapshot !== snapshot) stream.end("schema_reload");
    else if (session.credentialsExpired) stream.end("credentials_expired");
    if (stream.endReason) return stream;

    let identityToken: string;
    try {
      identityToken = await signer.sign(session.identity, plan.primary.serviceName);
    } catch (error) {
      stream.end("upstream_failed", [new GraphQLError("could not sign the identity token", { originalError: asError(error) })]);
      return stream;
    }
    if (stream.endReason) return stream;
    unsubscribe = this.upstream.subscribe(
      plan.primary.serviceName,
      { query: plan.primary.operation, operationName: plan.primary.operationName, variables: variablesFor(plan.primary.variableUsages, variables), identity: identityToken, requestId },
      {
        event: (event) => stream.push(event),
        fail: (failure: UpstreamFailure) => stream.end("upstream_failed", failure.kind === "errors" ? failure.errors.map(fromUpstream) : undefined),
        complete: () => stream.end("upstream_complete"),
      },
    );
    logger.debug({ requestId, session: session.id, field, subgraph: plan.primary.serviceName }, "subscription started");
    return stream;
  }

  private async executeEvent(executor: EventExecutor, event: UpstreamEvent, requestId: string): Promise<ExecutionResult> {
    try {
      const { data, errors } = await executor.execute(event);
      return { data: data ?? null, ...(errors && errors.length > 0 ? { errors: this.mask(errors, requestId) } : {}) };
    } catch (error) {
      // The masker logs the original; the client gets INTERNAL_SERVER_ERROR with the request id.
      return { data: null, errors: this.mask([new GraphQLError("subscription event failed", { originalError: asError(error) })], requestId) };
    }
  }
}
