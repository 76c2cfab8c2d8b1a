import { Field, Int, ObjectType } from "type-graphql";
import { connectionType } from "../../../../lib/pagination/connection";
import { Property } from "../property/property.type";

/** A listing offered to a lead, and why. */
@ObjectType({ description: "A listing that fits a lead, with how well and why." })
export class PropertyMatch {
  @Field(() => Property)
  property!: Property;

  @Field(() => Int, { description: "0-100: how well the listing fits the lead's search." })
  score!: number;

  @Field(() => [String], { description: "Sentences a realtor can read to the lead, e.g. \"3 bedrooms as asked\"." })
  reasons!: string[];
}

/** `PropertyMatchConnection`: a page of a lead's matches, best first. */
export const PropertyMatchConnection = connectionType("PropertyMatch", PropertyMatch);
