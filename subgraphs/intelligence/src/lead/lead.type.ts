import { Directive, Field, ID, ObjectType } from "type-graphql";

/** The leads subgraph's `Lead`, extended here with what intelligence knows; only its key lives here. */
@Directive(`@key(fields: "id")`)
@ObjectType()
export class Lead {
  @Field(() => ID)
  id!: string;
}
