import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { LeadStatus } from "../../../leads/src/lead/lead.enums";
import { ScoreTier } from "../../../intelligence/src/score/score.enums";
import { connectionType } from "../../../../lib/pagination/connection";

/** What happened to a lead. */
export enum ActivityKind {
  CREATED = "CREATED",
  UPDATED = "UPDATED",
  STATUS_CHANGED = "STATUS_CHANGED",
  NOTE_ADDED = "NOTE_ADDED",
  SCORED = "SCORED",
  MESSAGE_RECEIVED = "MESSAGE_RECEIVED",
  MESSAGE_SENT = "MESSAGE_SENT",
}
registerEnumType(ActivityKind, { name: "ActivityKind", description: "What happened to a lead." });

/** One entry of a lead's timeline; the fields that apply to its kind are set. */
@ObjectType({ description: "One entry of a lead's timeline; the fields that apply to its kind are set, the others null." })
export class LeadActivity {
  @Field(() => ID)
  id!: string;

  @Field(() => ActivityKind)
  kind!: ActivityKind;

  @Field()
  occurredAt!: Date;

  @Field(() => LeadStatus, { nullable: true, description: "STATUS_CHANGED: the status left." })
  fromStatus!: LeadStatus | null;

  @Field(() => LeadStatus, { nullable: true, description: "CREATED and STATUS_CHANGED: the status entered." })
  toStatus!: LeadStatus | null;

  @Field(() => Int, { nullable: true, description: "SCORED: the new score." })
  score!: number | null;

  @Field(() => ScoreTier, { nullable: true, description: "SCORED: the new tier." })
  tier!: ScoreTier | null;

  @Field(() => ScoreTier, { nullable: true, description: "SCORED: the tier before, null for a first score." })
  previousTier!: ScoreTier | null;

  @Field(() => String, { nullable: true, description: "MESSAGE_RECEIVED and MESSAGE_SENT: the channel." })
  channel!: string | null;

  @Field(() => String, { nullable: true, description: "NOTE_ADDED: who wrote the note." })
  author!: string | null;

  @Field(() => [String], { nullable: true, description: "UPDATED: the fields that changed." })
  changedFields!: string[] | null;
}

/** `LeadActivityConnection`: a page of a lead's timeline, newest first. */
export const LeadActivityConnection = connectionType("LeadActivity", LeadActivity);
