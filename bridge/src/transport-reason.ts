/**
 * A failed request's reason for logs and inbox notes: the error's name and its system code
 * (its own, as Node's http gives it, or its cause's, as fetch does) only, since the message
 * of a failure can carry the URL (and so a token or an id).
 */
export function transportReason(error: unknown): string {
  if (error instanceof Error) {
    const own = (error as Error & { code?: unknown }).code;
    const cause = typeof own === "string" ? own : error.cause instanceof Error ? ((error.cause as Error & { code?: unknown }).code ?? error.cause.name) : undefined;
    return `transport: ${error.name}${typeof cause === "string" ? ` (${cause})` : ""}`;
  }
  return "transport: unknown failure";
}
