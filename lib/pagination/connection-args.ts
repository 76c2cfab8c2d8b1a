import { ArgsType, Field, Int } from "type-graphql";
import type { ConnectionArguments } from "./page-request";

/** The Relay connection arguments, for any connection field. Validated by `toPageRequest`. */
@ArgsType()
export class ConnectionArgs implements ConnectionArguments {
  @Field(() => Int, { nullable: true, description: "Page size reading forward (default 20, max 100)." })
  first?: number | null;

  @Field(() => String, { nullable: true, description: "Read forward from this cursor." })
  after?: string | null;

  @Field(() => Int, { nullable: true, description: "Page size reading backward (max 100)." })
  last?: number | null;

  @Field(() => String, { nullable: true, description: "Read backward from this cursor." })
  before?: string | null;
}
