import { Field, ObjectType } from "type-graphql";
import { UserError } from "../../../../lib/graphql/user-error";
import { Appointment } from "./appointment.type";

/** Result of `recordAppointmentFromGhl`. */
@ObjectType()
export class RecordAppointmentFromGhlPayload {
  @Field(() => Appointment, { nullable: true, description: "The appointment as stored now; null once deleted." })
  appointment!: Appointment | null;

  @Field({ description: "False when a version at least as new was already stored (or the appointment was deleted): nothing changed." })
  applied!: boolean;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
