import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SCHEMA_DIR } from "../scripts/schema-files";
import { composeFromCode } from "../scripts/supergraph";

describe("checked-in schema", () => {
  it("matches what the code produces (run `npm run compose` after changing a schema)", async () => {
    const { subgraphs, supergraph } = await composeFromCode();
    const read = (file: string) => readFileSync(join(SCHEMA_DIR, file), "utf8");
    for (const { name, sdl } of subgraphs) expect(read(`${name}.graphql`)).toBe(sdl);
    expect(read("supergraph.graphql")).toBe(supergraph);
  });
});
