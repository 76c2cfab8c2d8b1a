import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the fake API saw of one request. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** How the fake answers the next requests. */
export type Respond = (response: ServerResponse) => void;

/** A local HTTP server playing Anthropic's Messages API (the one outside service tests cannot reach). */
export interface FakeAnthropic {
  baseURL: string;
  /** Every request, in order; tests clear it. */
  received: ReceivedRequest[];
  /** Sets how the following requests are answered. */
  reply(respond: Respond): void;
  /** Runs `run` after `ms`, unless the server closes first. */
  later(ms: number, run: () => void): void;
  close(): Promise<void>;
}

/** Starts the fake on an ephemeral port; it answers 500 until told otherwise. */
export async function startFakeAnthropic(): Promise<FakeAnthropic> {
  const received: ReceivedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let respond: Respond = errorReply(500, "api_error", "no reply configured");
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      received.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body: text === "" ? null : (JSON.parse(text) as unknown) });
      respond(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    reply(next) {
      respond = next;
    },
    later(ms, run) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        run();
      }, ms);
      timers.add(timer);
    },
    async close() {
      timers.forEach(clearTimeout);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Answers with a JSON body. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json", "request-id": "req_test_0001" });
  response.end(JSON.stringify(body));
}

/** The body of a Messages API reply with these content blocks. */
export function messageBody(content: unknown[], stopReason: string, model = "claude-test-model"): Record<string, unknown> {
  return {
    id: "msg_test_0001",
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: { input_tokens: 312, output_tokens: 88, cache_creation_input_tokens: null, cache_read_input_tokens: null },
  };
}

/** A Messages API reply whose single text block is `text`. */
export function messageReply(text: string, stopReason = "end_turn"): Respond {
  return (response) => sendJson(response, 200, messageBody([{ type: "text", text, citations: null }], stopReason));
}

/** A Messages API error reply. */
export function errorReply(status: number, type: string, message: string): Respond {
  return (response) => sendJson(response, status, { type: "error", error: { type, message }, request_id: "req_test_0001" });
}
