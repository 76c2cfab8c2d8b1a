import type { ApolloServerPlugin } from "@apollo/server";
import { Kind, type DocumentNode, type FragmentDefinitionNode, type GraphQLError, type SelectionSetNode } from "graphql";
import { ErrorCode, clientError } from "../../lib/errors";
import type { GatewayLimits } from "./config";
import type { GatewayContext } from "./context";

/** The deepest field nesting of any operation in `document` (fragments followed, cycles cut). */
export function queryDepth(document: DocumentNode): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const depthOf = (set: SelectionSetNode, seen: ReadonlySet<string>): number => {
    let deepest = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        deepest = Math.max(deepest, selection.selectionSet ? 1 + depthOf(selection.selectionSet, seen) : 1);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        deepest = Math.max(deepest, depthOf(selection.selectionSet, seen));
      } else {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !seen.has(fragment.name.value)) deepest = Math.max(deepest, depthOf(fragment.selectionSet, new Set([...seen, fragment.name.value])));
      }
    }
    return deepest;
  };
  let deepest = 0;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) deepest = Math.max(deepest, depthOf(definition.selectionSet, new Set()));
  }
  return deepest;
}

/** How many aliased fields `document` holds (alias amplification multiplies work per byte). */
export function aliasCount(document: DocumentNode): number {
  let count = 0;
  const visit = (set: SelectionSetNode): void => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD && selection.alias) count += 1;
      if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) visit(selection.selectionSet);
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) visit(definition.selectionSet);
  }
  return count;
}

function tooComplex(message: string) {
  const error = clientError(ErrorCode.QUERY_TOO_COMPLEX, message);
  error.extensions["http"] = { status: 400 };
  return error;
}

/**
 * The `QUERY_TOO_COMPLEX` error (HTTP 400) for an over-long, over-deep or alias-heavy
 * operation, or undefined when `document` is within `limits`. Every transport applies it
 * before anything is planned or sent anywhere.
 */
export function queryLimitError(document: DocumentNode, source: string, limits: GatewayLimits): GraphQLError | undefined {
  if (source.length > limits.maxQueryLength) return tooComplex(`query is ${source.length} characters; the limit is ${limits.maxQueryLength}`);
  const depth = queryDepth(document);
  if (depth > limits.maxDepth) return tooComplex(`query depth ${depth} exceeds the limit of ${limits.maxDepth}`);
  const aliases = aliasCount(document);
  if (aliases > limits.maxAliases) return tooComplex(`${aliases} aliases exceed the limit of ${limits.maxAliases}`);
  return undefined;
}

/** Applies {@link queryLimitError} to every operation once it is known and before it is planned. */
export function queryLimitsPlugin(limits: GatewayLimits): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, source }) {
          const refusal = queryLimitError(document, source, limits);
          if (refusal) throw refusal;
        },
      };
    },
  };
}
