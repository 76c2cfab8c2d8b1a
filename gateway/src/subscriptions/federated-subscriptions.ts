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
import type { Identity, IdentitySigner } from "../../../lib/auth/identity";
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
import { SharedSubscription, sharedIdentity, sharingKey } from "./shared-subscription";
import type { SubgraphDirectory } from "./subgraph-directory";
import { activeSubscriptions, endedSubscriptions, type Transport } from "./subscription-metrics";
import { SubscriptionSlots, type SubscriptionSlot } from "./subscription-slots";
import { SubscriptionStream } from "./subscription-stream";
import { SupergraphSnapshot, type SchemaUpdate, type SubscriptionPlan } from "./supergraph-snapshot";
import { UpstreamClients, type UpstreamFailure } from "./upstream-clients";
import { MAX_QUERY_TOKENS } from "../../../lib/graphql/parse-limits";

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
 * gateway's own `executeQueryPlan`, several events at once, delivered in arrival order.
 *
 * Client subscriptions whose results must be identical (same tenant, role, scopes,
 * operation and variables: see `sharingKey`) share one upstream subscription and one
 * execution per event ({@link SharedSubscription}), so the work grows with the distinct
 * subscriptions, not with the subscribers. Each client subscription is still a stream,
 * a slot and a metric of its own, and ends on its own.
 */
export class FederatedSubscriptions {
  /** The API schema the gateway serves now; operations are checked against it. */
  private apiSchema: GraphQLSchema | undefined;
  /** The planner over the same supergraph; undefined if it could not be built (subscriptions are refused). */
  private snapshot: SupergraphSnapshot | undefined;
  /** Every client subscription running. */
  private readonly running = new Set<SubscriptionStream>();
  /** The shared subscriptions running, by sharing key; one closes as its last member leaves. */
  private readonly shared = new Map<string, SharedSubscription>();
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
      document = parse(request.query, { maxTokens: MAX_QUERY_TOKENS });
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
  async run(prepared: PreparedOperation): Promise<ExecutionResult | SubscriptionStream> {
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

  private subscribe(prepared: PreparedOperation, planned: PlannedSubscription): SubscriptionStream {
    const { session, requestId } = prepared;
    const { field, slot, snapshot } = planned;
    const { logger, settings } = this.options;
    const labels = { field, transport: session.transport };

    let shared: SharedSubscription | undefined;
    const stream: SubscriptionStream = new SubscriptionStream({
      field,
      maxQueuedEvents: settings.maxQueuedEvents,
      finalResult: (errors) => ({ errors: this.mask(errors, requestId) }),
      onOverflow: () => {
        logger.warn({ requestId, session: session.id, field, queued: settings.maxQueuedEvents }, "subscriber fell behind its events; dropping the client");
        session.dropSlowConsumer();
      },
      onEnd: (reason) => {
        shared?.leave(stream);
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

    shared = this.sharedFor(prepared, planned);
    shared.join(stream);
    logger.debug({ requestId, session: session.id, field, shared: shared.id, members: shared.size }, "subscription started");
    return stream;
  }

  /** The running shared subscription `prepared` belongs to, or a new one, opening upstream. */
  private sharedFor(prepared: PreparedOperation, planned: PlannedSubscription): SharedSubscription {
    const { session, request, document, operation } = prepared;
    const { snapshot, plan, field } = planned;
    const variables = { ...request.variables };
    // A state feed's first result is its current state, which only its first member would get.
    const shareable = !this.options.settings.stateFields.includes(field);
    const key = shareable ? sharingKey({ identity: session.identity, document, operation, variables }) : `unshared:${prepared.requestId}`;
    const running = shareable ? this.shared.get(key) : undefined;
    if (running && !running.isClosed && running.snapshot === snapshot) return running;

    const { logger, directory } = this.options;
    const identity = sharedIdentity(session.identity);
    const executor = new EventExecutor(snapshot, plan, { document, operation, source: request.query, variables }, () => directory.dataSources(), logger);
    const shared: SharedSubscription = new SharedSubscription({
      field,
      snapshot,
      maxConcurrentExecutions: this.options.settings.maxConcurrentEventExecutions,
      execute: (event) => this.executeEvent(executor, event, identity),
      onClose: () => {
        if (this.shared.get(key) === shared) this.shared.delete(key);
      },
    });
    this.shared.set(key, shared);
    void this.openUpstream(shared, identity, plan.primary, variables);
    return shared;
  }

  /** Opens `shared`'s subscription at the owning subgraph, as `identity`. */
  private async openUpstream(shared: SharedSubscription, identity: Identity, primary: SubscriptionPlan["primary"], variables: Readonly<Record<string, unknown>>): Promise<void> {
    const { signer, logger } = this.options;
    let identityToken: string;
    try {
      identityToken = await signer.sign(identity, primary.serviceName);
    } catch (error) {
      shared.end("upstream_failed", [new GraphQLError("could not sign the identity token", { originalError: asError(error) })]);
      return;
    }
    if (shared.isClosed) return;
    shared.attachUpstream(
      this.upstream.subscribe(
        primary.serviceName,
        { query: primary.operation, operationName: primary.operationName, variables: variablesFor(primary.variableUsages, variables), identity: identityToken, requestId: shared.id },
        {
          event: (event) => shared.push(event),
          fail: (failure: UpstreamFailure) => shared.end("upstream_failed", failure.kind === "errors" ? failure.errors.map(fromUpstream) : undefined),
          complete: () => shared.end("upstream_complete"),
        },
      ),
    );
    logger.debug({ shared: shared.id, subgraph: primary.serviceName }, "upstream subscription opened");
  }

  /**
   * One event's result for every member of a shared subscription, masked once. Its fetches
   * run as the shared identity under a request id of the event's own, which internal
   * errors carry: that id is the one the subgraphs logged the event's fetches under.
   */
  private async executeEvent(executor: EventExecutor, event: UpstreamEvent, identity: Identity): Promise<ExecutionResult> {
    const requestId = uuidv7();
    try {
      const { data, errors } = await executor.execute(event, { requestId, identity });
      return { data: data ?? null, ...(errors && errors.length > 0 ? { errors: this.mask(errors, requestId) } : {}) };
    } catch (error) {
      // The masker logs the original; the client gets INTERNAL_SERVER_ERROR with the request id.
      return { data: null, errors: this.mask([new GraphQLError("subscription event failed", { originalError: asError(error) })], requestId) };
    }
  }
}
