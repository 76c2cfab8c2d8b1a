import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { Role, SCOPE_ANY_TENANT } from "../../../../lib/auth/roles";
import { ErrorCode, clientError } from "../../../../lib/errors";
import { isUuid } from "../../../../lib/ids";
import { referenceId } from "../../../../lib/server/federated-schema";
import { ConnectionArgs } from "../../../../lib/pagination/connection-args";
import type { Connection } from "../../../../lib/pagination/connection";
import { isTimestampSortValue } from "../../../../lib/pagination/cursor";
import { toPageRequest } from "../../../../lib/pagination/page-request";
import { AppointmentConnection, type Appointment } from "../appointment/appointment.type";
import type { LeadsContext } from "../context";
import { NoteConnection, type Note } from "../note/note.type";
import {
  AddLeadNoteFromGhlInput,
  AddLeadNoteInput,
  ChangeLeadStatusByGhlContactInput,
  ChangeLeadStatusInput,
  CreateLeadInput,
  DeleteLeadByGhlContactInput,
  DeleteLeadInput,
  RecordLeadMessageInput,
  LeadFilter,
  LeadOrder,
  UpdateLeadInput,
  UpsertLeadFromGhlInput,
} from "./lead.inputs";
import { AddLeadNotePayload, DeleteLeadPayload, LeadPayload, RecordLeadMessagePayload, UpsertLeadFromGhlPayload } from "./lead.payloads";
import * as service from "./lead.service";
import { Lead, LeadConnection } from "./lead.type";

@ArgsType()
class LeadsArgs extends ConnectionArgs {
  @Field(() => LeadFilter, { nullable: true })
  filter?: LeadFilter | null;

  @Field(() => LeadOrder, { nullable: true, description: "Default: newest first (CREATED_AT DESC)." })
  orderBy?: LeadOrder | null;
}

/** Queries and mutations over leads. Reads need any role; writes need AGENT or ADMIN. */
@Resolver(() => Lead)
export class LeadResolver {
  @Authorized()
  @Query(() => Lead, { nullable: true, description: "A lead of the caller's tenant, or null." })
  lead(@Arg("id", () => ID) id: string, @Ctx() ctx: LeadsContext): Promise<Lead | null> {
    if (!isUuid(id)) throw clientError(ErrorCode.BAD_USER_INPUT, "`id` is not a valid lead id", { argument: "id" });
    return ctx.loaders.leadById.load(id);
  }

  @Authorized()
  @Query(() => LeadConnection, { description: "The caller's leads, filtered and sorted, a page at a time." })
  leads(@Args() args: LeadsArgs, @Ctx() ctx: LeadsContext): Promise<Connection<Lead>> {
    return service.listLeads(ctx.db, ctx.identity, args);
  }

  @Authorized()
  @FieldResolver(() => NoteConnection, { description: "Notes on this lead, newest first." })
  notes(@Root() lead: Lead, @Args() args: ConnectionArgs, @Ctx() ctx: LeadsContext): Promise<Connection<Note>> {
    return ctx.loaders.notes(toPageRequest(args, "notes", isTimestampSortValue)).load(lead.id);
  }

  @Authorized()
  @FieldResolver(() => AppointmentConnection, { description: "GHL appointments with this lead, latest start first." })
  appointments(@Root() lead: Lead, @Args() args: ConnectionArgs, @Ctx() ctx: LeadsContext): Promise<Connection<Appointment>> {
    return ctx.loaders.appointments(toPageRequest(args, "appointments", isTimestampSortValue)).load(lead.id);
  }

  @Authorized(Role.AGENT, Role.ADMIN)
  @Mutation(() => LeadPayload)
  createLead(@Arg("input") input: CreateLeadInput, @Ctx() ctx: LeadsContext): Promise<LeadPayload> {
    return service.createLead(ctx.db, ctx.identity, input);
  }

  @Authorized(Role.AGENT, Role.ADMIN)
  @Mutation(() => LeadPayload)
  updateLead(@Arg("input") input: UpdateLeadInput, @Ctx() ctx: LeadsContext): Promise<LeadPayload> {
    return service.updateLead(ctx.db, ctx.identity, input);
  }

  @Authorized(Role.AGENT, Role.ADMIN)
  @Mutation(() => LeadPayload, { description: "Moves a lead along the pipeline; illegal moves are user errors." })
  changeLeadStatus(@Arg("input") input: ChangeLeadStatusInput, @Ctx() ctx: LeadsContext): Promise<LeadPayload> {
    return service.changeLeadStatus(ctx.db, ctx.identity, input.id, input.status);
  }

  @Authorized(Role.AGENT, Role.ADMIN)
  @Mutation(() => AddLeadNotePayload)
  addLeadNote(@Arg("input") input: AddLeadNoteInput, @Ctx() ctx: LeadsContext): Promise<AddLeadNotePayload> {
    return service.addLeadNote(ctx.db, ctx.identity, input.leadId, input.body);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => DeleteLeadPayload, { description: "Deletes a lead and its notes (ADMIN only)." })
  deleteLead(@Arg("input") input: DeleteLeadInput, @Ctx() ctx: LeadsContext): Promise<DeleteLeadPayload> {
    return service.deleteLead(ctx.db, ctx.identity, input.id);
  }

  @Authorized(Role.AGENT, Role.ADMIN)
  @Mutation(() => UpsertLeadFromGhlPayload, { description: "Creates or updates the lead mirroring a GHL contact; idempotent." })
  upsertLeadFromGhl(@Arg("input") input: UpsertLeadFromGhlInput, @Ctx() ctx: LeadsContext): Promise<UpsertLeadFromGhlPayload> {
    return service.upsertLeadFromGhl(ctx.db, ctx.identity, input);
  }

  // The GHL mirror mutations below name the lead by its GHL contact, as the webhook bridge
  // (a `tenants:any` service caller) knows no lead ids; a tenant's ADMIN may use them too.

  @Authorized(Role.ADMIN, SCOPE_ANY_TENANT)
  @Mutation(() => DeleteLeadPayload, { description: "Deletes the lead mirroring a GHL contact; deleting one already gone succeeds with a null id." })
  deleteLeadByGhlContact(@Arg("input") input: DeleteLeadByGhlContactInput, @Ctx() ctx: LeadsContext): Promise<DeleteLeadPayload> {
    return service.deleteLeadByGhlContact(ctx.db, ctx.identity, input.ghlContactId);
  }

  @Authorized(Role.ADMIN, SCOPE_ANY_TENANT)
  @Mutation(() => LeadPayload, { description: "Moves the lead mirroring a GHL contact along the pipeline; illegal moves are user errors." })
  changeLeadStatusByGhlContact(@Arg("input") input: ChangeLeadStatusByGhlContactInput, @Ctx() ctx: LeadsContext): Promise<LeadPayload> {
    return service.changeLeadStatusByGhlContact(ctx.db, ctx.identity, input.ghlContactId, input.status);
  }

  @Authorized(Role.ADMIN, SCOPE_ANY_TENANT)
  @Mutation(() => RecordLeadMessagePayload, { description: "Records a message exchanged with the lead mirroring a GHL contact; idempotent per messageId." })
  recordLeadMessage(@Arg("input") input: RecordLeadMessageInput, @Ctx() ctx: LeadsContext): Promise<RecordLeadMessagePayload> {
    return service.recordLeadMessage(ctx.db, ctx.identity, input);
  }

  @Authorized(Role.ADMIN, SCOPE_ANY_TENANT)
  @Mutation(() => AddLeadNotePayload, { description: "Adds a GHL note to the lead mirroring its contact; idempotent per ghlNoteId." })
  addLeadNoteFromGhl(@Arg("input") input: AddLeadNoteFromGhlInput, @Ctx() ctx: LeadsContext): Promise<AddLeadNotePayload> {
    return service.addLeadNoteFromGhl(ctx.db, ctx.identity, input);
  }
}

/** Resolves `Lead` references from other subgraphs through the request's DataLoader. */
export function resolveLeadReference(reference: unknown, ctx: LeadsContext): Promise<Lead | null> | null {
  const id = referenceId(reference);
  return id === null ? null : ctx.loaders.leadById.load(id);
}
