import "reflect-metadata";
import { composeServices } from "@apollo/composition";
import { printSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";
import { buildAnalyticsSchema } from "../subgraphs/analytics/src/schema";
import { buildBillingSchema } from "../subgraphs/billing/src/schema";
import { buildIntelligenceSchema } from "../subgraphs/intelligence/src/schema";
import { buildLeadsSchema } from "../subgraphs/leads/src/schema";

/** Where the checked-in schema files live. */

/** Each subgraph's name, default URL and schema builder; the gateway overrides URLs by config. */
const SUBGRAPHS = [
  { name: "leads", url: "http://localhost:4001/graphql", build: buildLeadsSchema },
  { name: "intelligence", url: "http://localhost:4002/graphql", build: buildIntelligenceSchema },
  { name: "analytics", url: "http://localhost:4003/graphql", build: buildAnalyticsSchema },
  { name: "billing", url: "http://localhost:4004/graphql", build: buildBillingSchema },
] as const;

/** The SDL of every subgraph and the composed supergraph, as the code produces them now. */
export interface ComposedSchemas {
  subgraphs: { name: string; sdl: string }[];
  supergraph: string;
}

/** Builds every subgraph schema from code and composes the supergraph; throws on composition errors. */
export async function composeFromCode(): Promise<ComposedSchemas> {
  const subgraphs = await Promise.all(SUBGRAPHS.map(async ({ name, url, build }) => ({ name, url, sdl: printSubgraphSchema(await build()) })));
  const result = composeServices(subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })));
  if (result.errors) throw new Error(`supergraph composition failed:\n${result.errors.map((e) => e.message).join("\n")}`);
  return { subgraphs: subgraphs.map(({ name, sdl }) => ({ name, sdl })), supergraph: result.supergraphSdl };
}
