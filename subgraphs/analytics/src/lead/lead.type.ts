import { Directive, Field, ID, ObjectType } from "type-graphql";

/** The leads subgraph's `Lead`, extended here with its timeline; only its key lives here. */
@Directive(`@key(fields: "id")`)
@ObjectType()
export class Lead {
  @Field(() => ID)
  id!: string;
}
