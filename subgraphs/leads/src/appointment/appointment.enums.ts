import { registerEnumType } from "type-graphql";

/** Where a GHL appointment stands (GHL's `appointmentStatus`). */
export enum AppointmentStatus {
  NEW = "NEW",
  CONFIRMED = "CONFIRMED",
  CANCELLED = "CANCELLED",
  SHOWED = "SHOWED",
  NO_SHOW = "NO_SHOW",
  INVALID = "INVALID",
}

registerEnumType(AppointmentStatus, { name: "AppointmentStatus", description: "Where a GHL appointment stands." });
