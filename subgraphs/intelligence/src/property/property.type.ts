import { Directive, Field, Float, ID, Int, ObjectType } from "type-graphql";
import { PropertyType } from "../../../leads/src/lead/lead.enums";
import { connectionType } from "../../../../lib/pagination/connection";
import { ListingStatus } from "./property.enums";

/** A home on the market; the intelligence subgraph owns it. */
@Directive(`@key(fields: "id")`)
@ObjectType({ description: "A home listed for sale (MLS)." })
export class Property {
  @Field(() => ID)
  id!: string;

  @Field({ description: "The listing's MLS number." })
  mlsNumber!: string;

  @Field()
  address!: string;

  @Field()
  city!: string;

  @Field({ description: "The neighbourhood or town leads name in their search, e.g. \"Round Rock\"." })
  area!: string;

  @Field(() => Int, { description: "List price, whole dollars (like lead budgets)." })
  price!: number;

  @Field(() => Int)
  bedrooms!: number;

  @Field(() => Float, { description: "Full baths plus 0.5 per half bath." })
  bathrooms!: number;

  @Field(() => Int)
  squareFeet!: number;

  @Field(() => PropertyType)
  propertyType!: PropertyType;

  @Field(() => ListingStatus)
  status!: ListingStatus;

  @Field()
  listedAt!: Date;
}

/** `PropertyConnection`: a page of listings. */
export const PropertyConnection = connectionType("Property", Property);
