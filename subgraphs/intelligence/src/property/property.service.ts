import type { Kysely } from "kysely";
import type { Identity } from "../../../../lib/auth/identity";
import { withTenant } from "../../../../lib/db/tenant";
import { ErrorCode, clientError } from "../../../../lib/errors";
import { SortDirection } from "../../../../lib/graphql/sort-direction";
import { mapConnection, toConnection, type Connection } from "../../../../lib/pagination/connection";
import { isTimestampSortValue } from "../../../../lib/pagination/cursor";
import { queryKeyOf, toPageRequest, type ConnectionArguments } from "../../../../lib/pagination/page-request";
import type { IntelligenceDatabase } from "../database";
import { PropertySortField, type PropertyFilter, type PropertyOrder } from "./property.inputs";
import { toProperty } from "./property.mapper";
import * as repo from "./property.repository";
import type { Property } from "./property.type";

const SORT_COLUMN: Record<PropertySortField, repo.PropertySortColumn> = {
  [PropertySortField.PRICE]: "price",
  [PropertySortField.LISTED_AT]: "listed_at",
};

const PRICE_SORT_VALUE = /^\d{1,10}$/;

function badFilter(message: string, argument: string): never {
  throw clientError(ErrorCode.BAD_USER_INPUT, message, { argument });
}

function nonNegative(value: number | null | undefined, name: string, max: number): number | undefined {
  if (value == null) return undefined;
  if (value < 0 || value > max) badFilter(`\`filter.${name}\` must be between 0 and ${max.toLocaleString("en-US")}`, `filter.${name}`);
  return value;
}

function toListFilter(filter: PropertyFilter | null | undefined): repo.PropertyListFilter {
  const result: repo.PropertyListFilter = {};
  if (!filter) return result;
  if (filter.areas?.length) {
    if (filter.areas.length > 20) badFilter("`filter.areas` takes at most 20 areas", "filter.areas");
    result.areas = filter.areas;
  }
  const priceMin = nonNegative(filter.priceMin, "priceMin", 1_000_000_000);
  const priceMax = nonNegative(filter.priceMax, "priceMax", 1_000_000_000);
  const bedroomsMin = nonNegative(filter.bedroomsMin, "bedroomsMin", 20);
  if (priceMin !== undefined) result.priceMin = priceMin;
  if (priceMax !== undefined) result.priceMax = priceMax;
  if (bedroomsMin !== undefined) result.bedroomsMin = bedroomsMin;
  if (priceMin !== undefined && priceMax !== undefined && priceMin > priceMax) badFilter("`filter.priceMin` must not exceed `filter.priceMax`", "filter");
  if (filter.types?.length) result.types = filter.types;
  if (filter.statuses?.length) result.statuses = filter.statuses;
  return result;
}

/** A page of the caller's tenant's listings; newest listed first by default. */
export async function listProperties(
  db: Kysely<IntelligenceDatabase>,
  identity: Identity,
  args: ConnectionArguments & { filter?: PropertyFilter | null; orderBy?: PropertyOrder | null },
): Promise<Connection<Property>> {
  const order = args.orderBy ?? { field: PropertySortField.LISTED_AT, direction: SortDirection.DESC };
  const filter = toListFilter(args.filter);
  const isSortValue = order.field === PropertySortField.PRICE ? (value: string) => PRICE_SORT_VALUE.test(value) : isTimestampSortValue;
  const request = toPageRequest(args, queryKeyOf("properties", { order, filter }), isSortValue);
  const sort = { column: SORT_COLUMN[order.field], descending: order.direction === SortDirection.DESC };
  const page = await withTenant(db, identity.tenant, (trx) => repo.listProperties(trx, identity.tenant, filter, sort, request));
  return mapConnection(toConnection(request, page, (row) => ({ value: row.sort_value, id: row.id })), toProperty);
}
