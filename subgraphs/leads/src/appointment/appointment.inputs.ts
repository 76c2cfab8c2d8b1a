import { Field, InputType } from "type-graphql";
import { AppointmentStatus } from "./appointment.enums";

/** Input of `recordAppointmentFromGhl`: one delivered version of a GHL appointment. */
@InputType({ description: "One version of a GHL appointment, as a webhook delivered it." })
export class RecordAppointmentFromGhlInput {
  @Field(() => String, { description: "Recording the same appointment again updates it (when newer)." })
  ghlAppointmentId!: string;

  @Field(() => String, { description: "The GHL contact the appointment is with." })
  ghlContactId!: string;

  @Field(() => Date, { description: "GHL's stamp of this version: a version not newer than the one stored changes nothing." })
  ghlUpdatedAt!: Date;

  @Field(() => Boolean, { nullable: true, description: "The appointment was deleted in GHL (final: later versions are ignored). Default false." })
  deleted?: boolean | null;

  @Field(() => AppointmentStatus, { nullable: true, description: "Required unless `deleted`." })
  status?: AppointmentStatus | null;

  @Field(() => Date, { nullable: true, description: "Required unless `deleted`." })
  startTime?: Date | null;

  @Field(() => Date, { nullable: true, description: "Required unless `deleted`; not before `startTime`." })
  endTime?: Date | null;

  @Field(() => String, { nullable: true })
  calendarId?: string | null;

  @Field(() => String, { nullable: true })
  title?: string | null;
}
