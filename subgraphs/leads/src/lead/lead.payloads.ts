import { Field, ID, ObjectType } from "type-graphql";
import { UserError } from "../../../../lib/graphql/user-error";
import { Note } from "../note/note.type";
import { Lead } from "./lead.type";

/** Result of a mutation that returns the changed lead. */
@ObjectType({ description: "The changed lead, or why it could not be changed." })
export class LeadPayload {
  @Field(() => Lead, { nullable: true })
  lead!: Lead | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

/** Result of `upsertLeadFromGhl`. */
@ObjectType()
export class UpsertLeadFromGhlPayload extends LeadPayload {
  @Field({ description: "True when this call created the lead, false when it updated or left it." })
  created!: boolean;
}

/** Result of `addLeadNote`. */
@ObjectType()
export class AddLeadNotePayload {
  @Field(() => Note, { nullable: true })
  note!: Note | null;

  @Field(() => Lead, { nullable: true })
  lead!: Lead | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

/** Result of `deleteLead`. */
@ObjectType()
export class DeleteLeadPayload {
  @Field(() => ID, { nullable: true })
  deletedLeadId!: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

/** Result of `recordLeadMessage`. */
@ObjectType()
export class RecordLeadMessagePayload {
  @Field(() => Lead, { nullable: true })
  lead!: Lead | null;

  @Field({ description: "False when this message had been recorded before: recording it again changes nothing." })
  recorded!: boolean;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
