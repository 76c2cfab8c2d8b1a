import { request, Agent } from "node:http";
import { generateIdentityKeyPair } from "../../lib/auth/identity";
import { createLogger } from "../../lib/logger";
import { createLeadsSubgraph } from "../../subgraphs/leads/src/index";
import { testDatabaseUrls } from "../helpers/stack";

/**
 * POSTs a GraphQL request on `agent`, sending the start of its body now and the rest when
 * `finish` is called: the server reads whole bodies, so until then the request is in flight.
 */
function graphqlRequest(url: URL, agent: Agent): { response: Promise<{ status: number; connection: string | undefined }>; finish(): void } {
  let finish = () => undefined as void;
  const response = new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: "/graphql", method: "POST", agent, headers: { "content-type": "application/json", "transfer-encoding": "chunked" } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    });
    req.on("error", reject);
    req.write('{"query":');
    finish = () => void req.end('"{ __typename }"}');
  });
  return { response, finish };
}

describe("stopping an HTTP service", () => {
  it("lets a request in flight on a kept-alive connection finish, then closes that connection and stops", async () => {
    const server = await createLeadsSubgraph({ port: 0, databaseUrl: testDatabaseUrls().app, identityPublicKey: generateIdentityKeyPair().publicKeyPem, logger: createLogger("test", "silent") });
    const url = new URL(server.url);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // A first request leaves the connection open and idle...
      const first = graphqlRequest(url, agent);
      first.finish();
      // No identity token: 401, which is all this test needs of an answer.
      expect(await first.response).toEqual({ status: 401, connection: "keep-alive" });
      // ...the second keeps it busy while the server is asked to stop.
      const inFlight = graphqlRequest(url, agent);
      // Time for the server to take the request in (a connection between requests is idle, and closed at once).
      await new Promise((resolve) => setTimeout(resolve, 200));
      const stopped = server.stop();
      inFlight.finish();
      expect(await inFlight.response).toEqual({ status: 401, connection: "close" });
      // Without the close, the connection would stay open (keep-alive) and stop() would wait for it.
      await stopped;
    } finally {
      agent.destroy();
    }
  });
});
