import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { SCHEMA_DIR } from "./schema-files";
import { composeFromCode } from "./supergraph";

/** `npm run compose`: regenerates schema/<subgraph>.graphql and schema/supergraph.graphql. */
async function main(): Promise<void> {
  const { subgraphs, supergraph } = await composeFromCode();
  for (const { name, sdl } of subgraphs) writeFileSync(join(SCHEMA_DIR, `${name}.graphql`), sdl);
  writeFileSync(join(SCHEMA_DIR, "supergraph.graphql"), supergraph);
  process.stdout.write(`wrote ${subgraphs.map((s) => `${s.name}.graphql`).join(", ")} and supergraph.graphql to schema/\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
