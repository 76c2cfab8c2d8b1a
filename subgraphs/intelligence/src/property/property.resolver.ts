import { Arg, Args, ArgsType, Authorized, Ctx, Field, ID, Query, Resolver } from "type-graphql";
import { ErrorCode, clientError } from "../../../../lib/errors";
import { isUuid } from "../../../../lib/ids";
import { referenceId } from "../../../../lib/server/federated-schema";
import { ConnectionArgs } from "../../../../lib/pagination/connection-args";
import type { Connection } from "../../../../lib/pagination/connection";
import type { IntelligenceContext } from "../context";
import { PropertyFilter, PropertyOrder } from "./property.inputs";
import { listProperties } from "./property.service";
import { Property, PropertyConnection } from "./property.type";

@ArgsType()
class PropertiesArgs extends ConnectionArgs {
  @Field(() => PropertyFilter, { nullable: true })
  filter?: PropertyFilter | null;

  @Field(() => PropertyOrder, { nullable: true, description: "Default: newest listing first (LISTED_AT DESC)." })
  orderBy?: PropertyOrder | null;
}

/** Listings of the caller's tenant; any role may read them. */
@Resolver(() => Property)
export class PropertyResolver {
  @Authorized()
  @Query(() => Property, { nullable: true, description: "A listing of the caller's tenant, or null." })
  property(@Arg("id", () => ID) id: string, @Ctx() ctx: IntelligenceContext): Promise<Property | null> {
    if (!isUuid(id)) throw clientError(ErrorCode.BAD_USER_INPUT, "`id` is not a valid property id", { argument: "id" });
    return ctx.loaders.propertyById.load(id);
  }

  @Authorized()
  @Query(() => PropertyConnection, { description: "The caller's listings, filtered and sorted, a page at a time." })
  properties(@Args() args: PropertiesArgs, @Ctx() ctx: IntelligenceContext): Promise<Connection<Property>> {
    return listProperties(ctx.db, ctx.identity, args);
  }
}

/** Resolves `Property` references through the request's DataLoader. */
export function resolvePropertyReference(reference: unknown, ctx: IntelligenceContext): Promise<Property | null> | null {
  const id = referenceId(reference);
  return id === null ? null : ctx.loaders.propertyById.load(id);
}
