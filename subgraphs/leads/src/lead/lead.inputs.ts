import { Field, ID, InputType, Int, registerEnumType } from "type-graphql";
import { SortDirection } from "../../../../lib/graphql/sort-direction";
import { BuyingTimeline, FinancingStatus, LeadSource, LeadStatus, PropertyType } from "./lead.enums";

/** Lead fields a client may set. Absent means "leave as is"; `null` clears a nullable field. */
@InputType({ description: "Lead fields a client may set." })
export class LeadChangesInput {
  @Field(() => String, { nullable: true })
  firstName?: string | null;

  @Field(() => String, { nullable: true })
  lastName?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true, description: "E.164, e.g. +15125550123." })
  phone?: string | null;

  @Field(() => LeadSource, { nullable: true })
  source?: LeadSource | null;

  @Field(() => [String], { nullable: true, description: "The full list of tags (replaces the current list)." })
  tags?: string[] | null;

  @Field(() => Int, { nullable: true })
  budgetMin?: number | null;

  @Field(() => Int, { nullable: true })
  budgetMax?: number | null;

  @Field(() => BuyingTimeline, { nullable: true })
  timeline?: BuyingTimeline | null;

  @Field(() => FinancingStatus, { nullable: true })
  financing?: FinancingStatus | null;

  @Field(() => [PropertyType], { nullable: true })
  propertyTypes?: PropertyType[] | null;

  @Field(() => [String], { nullable: true })
  preferredAreas?: string[] | null;

  @Field(() => Int, { nullable: true })
  bedroomsMin?: number | null;

  @Field(() => String, { nullable: true })
  assignedTo?: string | null;

  @Field(() => Boolean, { nullable: true })
  doNotContact?: boolean | null;

  @Field(() => Int, { nullable: true, description: "Value of the deal, whole dollars like the budgets." })
  dealValue?: number | null;
}

/** Input of `createLead`. */
@InputType({ description: "A new lead. Names are required; everything else is optional." })
export class CreateLeadInput extends LeadChangesInput {
  @Field(() => String)
  override firstName: string = "";

  @Field(() => String)
  override lastName: string = "";
}

/** Input of `updateLead`: only the fields present change. */
@InputType({ description: "Changes to a lead; absent fields are left as they are." })
export class UpdateLeadInput extends LeadChangesInput {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, { nullable: true, description: "Refuse the update (CONFLICT) unless the lead is at this version." })
  expectedVersion?: number | null;
}

/** Input of `upsertLeadFromGhl`: create or update the lead mirroring a GHL contact. */
@InputType({ description: "A GHL contact's fields; absent fields are left as they are." })
export class UpsertLeadFromGhlInput extends LeadChangesInput {
  @Field(() => String)
  ghlContactId!: string;
}

/** Input of `deleteLeadByGhlContact`. */
@InputType({ description: "The GHL contact whose mirrored lead to delete." })
export class DeleteLeadByGhlContactInput {
  @Field(() => String)
  ghlContactId!: string;
}

/** Input of `changeLeadStatusByGhlContact`. */
@InputType({ description: "A pipeline move of the lead mirroring a GHL contact." })
export class ChangeLeadStatusByGhlContactInput {
  @Field(() => String)
  ghlContactId!: string;

  @Field(() => LeadStatus)
  status!: LeadStatus;
}

/** Whether a message came from the lead or went to it. */
export enum MessageDirection {
  INBOUND = "INBOUND",
  OUTBOUND = "OUTBOUND",
}
registerEnumType(MessageDirection, { name: "MessageDirection" });

/** Input of `recordLeadMessage`. */
@InputType({ description: "A message exchanged with the lead mirroring a GHL contact." })
export class RecordLeadMessageInput {
  @Field(() => String)
  ghlContactId!: string;

  @Field(() => String, { description: "Unique per tenant: recording the same message again changes nothing." })
  messageId!: string;

  @Field(() => MessageDirection)
  direction!: MessageDirection;

  @Field(() => String, { description: "SMS, EMAIL, CALL, VOICEMAIL, WHATSAPP, ... (free text; unknown ones read as OTHER)." })
  channel!: string;

  @Field(() => String, { description: "The text; empty for calls without a transcript." })
  body!: string;
}

/** Input of `addLeadNoteFromGhl`. */
@InputType({ description: "A GHL note on the contact a lead mirrors." })
export class AddLeadNoteFromGhlInput {
  @Field(() => String)
  ghlContactId!: string;

  @Field(() => String, { description: "The GHL note id: adding the same note again changes nothing." })
  ghlNoteId!: string;

  @Field()
  body!: string;
}

/** Input of `changeLeadStatus`. */
@InputType()
export class ChangeLeadStatusInput {
  @Field(() => ID)
  id!: string;

  @Field(() => LeadStatus)
  status!: LeadStatus;
}

/** Input of `addLeadNote`. */
@InputType()
export class AddLeadNoteInput {
  @Field(() => ID)
  leadId!: string;

  @Field()
  body!: string;
}

/** Input of `deleteLead`. */
@InputType()
export class DeleteLeadInput {
  @Field(() => ID)
  id!: string;
}

/** Which leads `Query.leads` returns; all conditions must hold. */
@InputType({ description: "Which leads to return; all given conditions must hold." })
export class LeadFilter {
  @Field(() => [LeadStatus], { nullable: true, description: "Any of these statuses." })
  statuses?: LeadStatus[] | null;

  @Field(() => [LeadSource], { nullable: true, description: "Any of these sources." })
  sources?: LeadSource[] | null;

  @Field(() => [String], { nullable: true, description: "All of these tags." })
  tags?: string[] | null;

  @Field(() => String, { nullable: true, description: "Case-insensitive text in name, email or phone (2-100 characters)." })
  search?: string | null;

  @Field(() => Date, { nullable: true, description: "Created at or after." })
  createdAfter?: Date | null;

  @Field(() => Date, { nullable: true, description: "Created strictly before." })
  createdBefore?: Date | null;
}

/** Sortable lead fields. */
export enum LeadOrderField {
  CREATED_AT = "CREATED_AT",
  UPDATED_AT = "UPDATED_AT",
  NAME = "NAME",
}
registerEnumType(LeadOrderField, { name: "LeadOrderField" });

/** How `Query.leads` is sorted; ties are broken by id so cursors are exact. */
@InputType()
export class LeadOrder {
  @Field(() => LeadOrderField)
  field!: LeadOrderField;

  @Field(() => SortDirection)
  direction!: SortDirection;
}
