import type { PropertyType } from "../../../leads/src/lead/lead.enums";
import type { PropertyRow } from "../database";
import type { ListingStatus } from "./property.enums";
import type { Property } from "./property.type";

/** Maps a stored listing to the GraphQL `Property` (also what matching reads as a `Listing`). */
export function toProperty(row: PropertyRow): Property {
  return {
    id: row.id,
    mlsNumber: row.mls_number,
    address: row.address,
    city: row.city,
    area: row.area,
    price: row.price,
    bedrooms: row.bedrooms,
    bathrooms: Number(row.bathrooms),
    squareFeet: row.square_feet,
    // Written only by the seed and the typed API, so the columns hold enum values.
    propertyType: row.property_type as PropertyType,
    status: row.status as ListingStatus,
    listedAt: row.listed_at,
  };
}
