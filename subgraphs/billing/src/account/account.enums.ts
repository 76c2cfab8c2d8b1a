import { registerEnumType } from "type-graphql";

/** Where an account is in its life. */
export enum AccountStatus {
  TRIALING = "TRIALING",
  ACTIVE = "ACTIVE",
  /** Reserved for payment collection, which this platform does not do yet: nothing sets it. */
  PAST_DUE = "PAST_DUE",
  CANCELED = "CANCELED",
}
registerEnumType(AccountStatus, { name: "AccountStatus", description: "TRIALING, ACTIVE, PAST_DUE or CANCELED." });

/** What a recorded plan change was. */
export enum PlanChangeKind {
  PROVISIONED = "PROVISIONED",
  CHANGED = "CHANGED",
  CANCELED = "CANCELED",
  REACTIVATED = "REACTIVATED",
}
registerEnumType(PlanChangeKind, { name: "PlanChangeKind", description: "Provisioning, a plan change, a cancellation or a reactivation." });

/** Type guard for a stored {@link PlanChangeKind}. */
export function isPlanChangeKind(value: unknown): value is PlanChangeKind {
  return Object.values(PlanChangeKind).some((kind) => kind === value);
}
