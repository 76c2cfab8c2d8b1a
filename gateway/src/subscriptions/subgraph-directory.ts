import type { GraphQLDataSource, ServiceMap } from "@apollo/gateway";

/**
 * The subgraphs of the loaded supergraph, as the gateway's `buildService` created them. The
 * gateway keeps its data sources private; registering them here as they are built lets each
 * subscription event be completed through the very same ones (identity tokens, pooled
 * connections) that queries use.
 */
export class SubgraphDirectory {
  private readonly subgraphs = new Map<string, { url: string; dataSource: GraphQLDataSource }>();

  /** Records the data source `buildService` just built for `name`, which serves `url`. */
  register(name: string, url: string, dataSource: GraphQLDataSource): void {
    this.subgraphs.set(name, { url, dataSource });
  }

  /** Every subgraph's data source, by name, for `executeQueryPlan`. */
  dataSources(): ServiceMap {
    return Object.fromEntries([...this.subgraphs].map(([name, { dataSource }]) => [name, dataSource]));
  }

  /** The HTTP URL `name` is served at, or undefined for a subgraph the supergraph does not have. */
  urlOf(name: string): string | undefined {
    return this.subgraphs.get(name)?.url;
  }
}
