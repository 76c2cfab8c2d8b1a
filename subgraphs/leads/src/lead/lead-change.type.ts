import { Field, ID, InputType, ObjectType, registerEnumType } from "type-graphql";
import { LeadSource, LeadStatus } from "./lead.enums";

/** What happened to a lead. */
export enum LeadChangeKind {
  CREATED = "CREATED",
  UPDATED = "UPDATED",
  STATUS_CHANGED = "STATUS_CHANGED",
  DELETED = "DELETED",
}

registerEnumType(LeadChangeKind, { name: "LeadChangeKind", description: "What happened to a lead." });

/** Which lead changes a `leadChanged` subscriber receives. */
@InputType({ description: "Which lead changes to receive. An omitted or empty list does not filter; both lists must match when both are given." })
export class LeadChangeFilter {
  @Field(() => [LeadStatus], {
    nullable: true,
    description: "Only changes after which the lead has one of these statuses. A deleted lead has no status, so DELETED changes reach only unfiltered subscriptions.",
  })
  statuses?: LeadStatus[] | null;

  @Field(() => [LeadSource], { nullable: true, description: "Only changes to leads from one of these sources (DELETED changes reach only unfiltered subscriptions)." })
  sources?: LeadSource[] | null;
}

/** One change to one of the caller's leads, as `leadChanged` delivers it (`lead` is resolved per event). */
@ObjectType({ description: "A change to one of the caller's leads." })
export class LeadChangeEvent {
  @Field(() => LeadChangeKind)
  kind!: LeadChangeKind;

  @Field(() => ID)
  leadId!: string;

  @Field(() => LeadStatus, { nullable: true, description: "The status before the change; STATUS_CHANGED only." })
  previousStatus!: LeadStatus | null;

  @Field({ description: "When the change was made." })
  occurredAt!: Date;
}
