import { Arg, Authorized, Ctx, Mutation, Resolver } from "type-graphql";
import { Role } from "../../../../lib/auth/roles";
import type { LeadsContext } from "../context";
import { RecordAppointmentFromGhlInput } from "./appointment.inputs";
import { RecordAppointmentFromGhlPayload } from "./appointment.payloads";
import * as service from "./appointment.service";

/** Mutations over appointments; reads go through `Lead.appointments`. */
@Resolver()
export class AppointmentResolver {
  @Authorized(Role.AGENT, Role.ADMIN)
  @Mutation(() => RecordAppointmentFromGhlPayload, {
    description: "Records a GHL appointment of the lead mirroring its contact (create, update or delete); idempotent, and a version older than the stored one changes nothing.",
  })
  recordAppointmentFromGhl(@Arg("input") input: RecordAppointmentFromGhlInput, @Ctx() ctx: LeadsContext): Promise<RecordAppointmentFromGhlPayload> {
    return service.recordAppointmentFromGhl(ctx.db, ctx.identity, input);
  }
}
