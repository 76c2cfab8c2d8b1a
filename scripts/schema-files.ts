import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ConfigError } from "../lib/config";

// Compiled to dist/scripts/; tests run the sources from scripts/. The repo root is above either.
const REPO_ROOT = join(__dirname, basename(dirname(__dirname)) === "dist" ? "../.." : "..");

/** Where the checked-in schema files live: one SDL file per subgraph and `supergraph.graphql`. */
export const SCHEMA_DIR = join(REPO_ROOT, "schema");

/** The checked-in supergraph (`schema/supergraph.graphql`). */
export function readSupergraphSdl(): string {
  const path = join(SCHEMA_DIR, "supergraph.graphql");
  if (!existsSync(path)) throw new ConfigError(`${path} is missing: run \`npm run compose\``);
  return readFileSync(path, "utf8");
}
