import { Field, ID, ObjectType } from "type-graphql";
import { connectionType } from "../../../../lib/pagination/connection";
import { AppointmentStatus } from "./appointment.enums";

/** A calendar appointment with a lead, mirrored from GHL. */
@ObjectType({ description: "A calendar appointment with a lead, mirrored from GHL." })
export class Appointment {
  @Field(() => ID)
  id!: string;

  /** Owning lead; not exposed (reach appointments through `Lead.appointments`). */
  leadId!: string;

  @Field({ description: "The GHL appointment id." })
  ghlAppointmentId!: string;

  @Field(() => String, { nullable: true, description: "The GHL calendar it is booked in." })
  calendarId!: string | null;

  @Field(() => AppointmentStatus)
  status!: AppointmentStatus;

  @Field(() => String, { nullable: true })
  title!: string | null;

  @Field()
  startTime!: Date;

  @Field()
  endTime!: Date;

  @Field({ description: "When GHL last changed it (of the updates delivered so far)." })
  ghlUpdatedAt!: Date;
}

/** `AppointmentConnection`: a page of appointments. */
export const AppointmentConnection = connectionType("Appointment", Appointment);
