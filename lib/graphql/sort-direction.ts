import { registerEnumType } from "type-graphql";

/** Sort direction, shared by every ordering input so the enum composes identically across subgraphs. */
export enum SortDirection {
  ASC = "ASC",
  DESC = "DESC",
}
registerEnumType(SortDirection, { name: "SortDirection", description: "Sort direction." });
