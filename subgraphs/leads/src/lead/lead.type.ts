import { Directive, Field, ID, Int, ObjectType } from "type-graphql";
import { connectionType } from "../../../../lib/pagination/connection";
import { BuyingTimeline, FinancingStatus, LeadSource, LeadStatus, PropertyType } from "./lead.enums";

/** A prospective buyer; the leads subgraph owns it. */
@Directive(`@key(fields: "id")`)
@ObjectType({ description: "A prospective buyer, usually mirrored from a GHL contact." })
export class Lead {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true, description: "The GHL contact id, when the lead came from GHL." })
  ghlContactId!: string | null;

  @Field()
  firstName!: string;

  @Field()
  lastName!: string;

  @Field()
  fullName!: string;

  @Field(() => String, { nullable: true })
  email!: string | null;

  @Field(() => String, { nullable: true, description: "E.164 phone number." })
  phone!: string | null;

  @Field(() => LeadSource)
  source!: LeadSource;

  @Field(() => LeadStatus)
  status!: LeadStatus;

  @Field(() => [String])
  tags!: string[];

  @Field(() => Int, { nullable: true, description: "Lowest budget, whole dollars." })
  budgetMin!: number | null;

  @Field(() => Int, { nullable: true, description: "Highest budget, whole dollars." })
  budgetMax!: number | null;

  @Field(() => BuyingTimeline)
  timeline!: BuyingTimeline;

  @Field(() => FinancingStatus)
  financing!: FinancingStatus;

  @Field(() => [PropertyType])
  propertyTypes!: PropertyType[];

  @Field(() => [String])
  preferredAreas!: string[];

  @Field(() => Int, { nullable: true })
  bedroomsMin!: number | null;

  @Field(() => String, { nullable: true, description: "The agent the lead is assigned to." })
  assignedTo!: string | null;

  @Field({ description: "The lead asked not to be contacted." })
  doNotContact!: boolean;

  @Field(() => Int, { nullable: true, description: "Value of the lead's GHL opportunity, whole dollars like the budgets." })
  dealValue!: number | null;

  @Field(() => Int, { description: "Increments on every change; pass as `expectedVersion` to update safely." })
  version!: number;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

/** `LeadConnection`: a page of leads. */
export const LeadConnection = connectionType("Lead", Lead);
