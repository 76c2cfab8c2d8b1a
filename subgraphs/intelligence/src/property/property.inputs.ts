import { Field, InputType, Int, registerEnumType } from "type-graphql";
import { SortDirection } from "../../../../lib/graphql/sort-direction";
import { PropertyType } from "../../../leads/src/lead/lead.enums";
import { ListingStatus } from "./property.enums";

/** Conditions on listings; all given conditions must hold. */
@InputType({ description: "Conditions on listings; all given conditions must hold." })
export class PropertyFilter {
  @Field(() => [String], { nullable: true, description: "Any of these areas (at most 20)." })
  areas?: string[] | null;

  @Field(() => Int, { nullable: true, description: "Lowest price, whole dollars." })
  priceMin?: number | null;

  @Field(() => Int, { nullable: true, description: "Highest price, whole dollars." })
  priceMax?: number | null;

  @Field(() => Int, { nullable: true, description: "At least this many bedrooms." })
  bedroomsMin?: number | null;

  @Field(() => [PropertyType], { nullable: true })
  types?: PropertyType[] | null;

  @Field(() => [ListingStatus], { nullable: true, description: "Default: every status." })
  statuses?: ListingStatus[] | null;
}

/** What listings can be sorted by. */
export enum PropertySortField {
  PRICE = "PRICE",
  LISTED_AT = "LISTED_AT",
}
registerEnumType(PropertySortField, { name: "PropertySortField", description: "What listings can be sorted by." });

/** An ordering of listings; the listing id breaks ties. */
@InputType()
export class PropertyOrder {
  @Field(() => PropertySortField)
  field!: PropertySortField;

  @Field(() => SortDirection)
  direction!: SortDirection;
}
