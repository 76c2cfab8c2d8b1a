import { registerEnumType } from "type-graphql";

/** Where a listing stands on the market. Only ACTIVE and COMING_SOON listings are offered as matches. */
export enum ListingStatus {
  ACTIVE = "ACTIVE",
  COMING_SOON = "COMING_SOON",
  PENDING = "PENDING",
  SOLD = "SOLD",
  OFF_MARKET = "OFF_MARKET",
}

/** Listing statuses a lead can still buy. */
export const AVAILABLE_LISTING_STATUSES: readonly ListingStatus[] = [ListingStatus.ACTIVE, ListingStatus.COMING_SOON];

registerEnumType(ListingStatus, { name: "ListingStatus", description: "Where a listing stands on the market." });
