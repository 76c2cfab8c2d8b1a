import { Field, ID, ObjectType } from "type-graphql";
import { connectionType } from "../../../../lib/pagination/connection";

/** A note a realtor wrote on a lead. */
@ObjectType({ description: "A note a realtor wrote on a lead." })
export class Note {
  @Field(() => ID)
  id!: string;

  /** Owning lead; not exposed (reach notes through `Lead.notes`). */
  leadId!: string;

  @Field()
  body!: string;

  @Field({ description: "Who wrote it: the caller's subject, or the GHL user for synced notes." })
  author!: string;

  @Field()
  createdAt!: Date;
}

/** `NoteConnection`: a page of notes. */
export const NoteConnection = connectionType("Note", Note);
