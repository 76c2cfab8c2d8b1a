/**
 * A failed request's reason for logs and inbox notes: the error's name and its cause's code
 * only, since the message of a fetch failure can carry the URL (and so a token or an id).
 */
export function transportReason(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ((error.cause as Error & { code?: unknown }).code ?? error.cause.name) : undefined;
    return `transport: ${error.name}${typeof cause === "string" ? ` (${cause})` : ""}`;
  }
  return "transport: unknown failure";
}
