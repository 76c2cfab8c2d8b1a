import { z } from "zod";
import type { LeadChangesInput } from "./lead.inputs";

const name = z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters");
const label = z.string().trim().min(1, "must not be empty").max(50, "must be at most 50 characters");
const dollars = z.number().int().min(0, "must not be negative").max(1_000_000_000, "must be at most 1,000,000,000");

/** Rules for the lead fields a client may set; `null` is allowed only where the field is nullable. */
const leadChanges = z
  .object({
    firstName: name.optional(),
    lastName: name.optional(),
    email: z.email("must be an email address").max(254, "must be at most 254 characters").nullable().optional(),
    phone: z.string().regex(/^\+[1-9]\d{6,14}$/, "must be an E.164 number like +15125550123").nullable().optional(),
    source: z.string().optional(),
    tags: z.array(label).max(30, "at most 30 tags").optional(),
    budgetMin: dollars.nullable().optional(),
    budgetMax: dollars.nullable().optional(),
    timeline: z.string().optional(),
    financing: z.string().optional(),
    propertyTypes: z.array(z.string()).max(6).optional(),
    preferredAreas: z.array(name).max(20, "at most 20 areas").optional(),
    bedroomsMin: z.number().int().min(0, "must not be negative").max(20, "must be at most 20").nullable().optional(),
    assignedTo: name.nullable().optional(),
    doNotContact: z.boolean().optional(),
    dealValue: dollars.nullable().optional(),
  })
  .strip();

/** Validated lead changes: present keys are to be set. */
export type LeadChanges = z.infer<typeof leadChanges>;

/** The outcome of validating lead changes. */
export type ValidationResult = { ok: true; changes: LeadChanges } | { ok: false; issues: z.core.$ZodIssue[] };

const NON_NULLABLE = ["firstName", "lastName", "source", "tags", "timeline", "financing", "propertyTypes", "preferredAreas", "doNotContact"] as const;

/** Lead fields as a caller holds them before validation: a mutation's input, or what the webhook bridge is about to send. */
export type UncheckedLeadChanges = { readonly [K in keyof LeadChangesInput]?: unknown };

/**
 * Validates the fields of a create, update or upsert input. `current` budgets (when
 * updating) let a change of one bound be checked against the other. The webhook bridge
 * checks what it sends with the same rules, so that one unusable field is left out there
 * rather than refusing the whole upsert here.
 */
export function validateLeadChanges(input: UncheckedLeadChanges, current?: { budgetMin: number | null; budgetMax: number | null }): ValidationResult {
  const issues: z.core.$ZodIssue[] = [];
  const defined = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
  for (const key of NON_NULLABLE) {
    if (defined[key] === null) {
      issues.push({ code: "custom", path: [key], message: "cannot be null; omit it to leave it unchanged", input: null });
      delete defined[key];
    }
  }
  const result = leadChanges.safeParse(defined);
  if (!result.success) issues.push(...result.error.issues);
  if (issues.length > 0 || !result.success) return { ok: false, issues };
  const changes = result.data;
  const min = changes.budgetMin !== undefined ? changes.budgetMin : (current?.budgetMin ?? null);
  const max = changes.budgetMax !== undefined ? changes.budgetMax : (current?.budgetMax ?? null);
  if (min !== null && max !== null && min > max) {
    // The field this change sets is the one at fault: a new maximum alone is the one below the stored minimum.
    if (changes.budgetMin === undefined) return { ok: false, issues: [{ code: "custom", path: ["budgetMax"], message: "must not be below budgetMin", input: max }] };
    return { ok: false, issues: [{ code: "custom", path: ["budgetMin"], message: "must not exceed budgetMax", input: min }] };
  }
  return { ok: true, changes };
}

/** Validates a note body. */
export const noteBody = z.string().trim().min(1, "must not be empty").max(10_000, "must be at most 10,000 characters");
