import type { Logger } from "../../../../../lib/logger";
import { createAnthropicAnalyzer } from "./anthropic-analyzer";
import { createLocalAnalyzer } from "./local-analyzer";
import type { MessageAnalyzer } from "./message-analyzer";

/** Options for {@link createMessageAnalyzer}. */
export interface MessageAnalyzerOptions {
  /** Present when `ANTHROPIC_API_KEY` is configured; absent means the local analyzer alone. */
  anthropic?: {
    apiKey: string;
    model: string;
    baseURL?: string;
    timeoutMs: number;
  };
  knownAreas: readonly string[];
  logger: Logger;
}

/**
 * Creates the analyzer the intelligence subgraph uses: the rule-based one when Anthropic is
 * not configured, otherwise Anthropic with the rule-based one answering whenever Anthropic cannot.
 */
export function createMessageAnalyzer(options: MessageAnalyzerOptions): MessageAnalyzer {
  const local = createLocalAnalyzer({ knownAreas: options.knownAreas });
  if (!options.anthropic) return local;
  return createAnthropicAnalyzer({ ...options.anthropic, fallback: local, knownAreas: options.knownAreas, logger: options.logger });
}
