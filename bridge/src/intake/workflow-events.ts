import { createHash } from "node:crypto";
import { z } from "zod";
import { describeIssues } from "./ghl-events";

/** The inbox `type` of a workflow delivery (workflow bodies carry no type of their own). */
export const WORKFLOW_EVENT_TYPE = "Workflow";

/**
 * A GHL workflow "Webhook" action's body: unsigned, snake_case, the contact's standard
 * fields at the top level next to its custom fields keyed by their labels, plus what the
 * workflow adds. Everything is optional and unknown fields are kept: the workflow's author
 * decides the shape.
 */
export const workflowEventSchema = z.looseObject({
  contact_id: z.string().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  full_name: z.string().optional(),
  email: z.string().optional(),
  phone: z.string().optional(),
  /** Comma-separated as GHL sends it; a list when the author built one. */
  tags: z.union([z.string(), z.array(z.string())]).optional(),
  location: z.looseObject({ id: z.string().optional(), name: z.string().optional() }).optional(),
  workflow: z.looseObject({ id: z.string().optional(), name: z.string().optional() }).optional(),
  /** Key/value pairs the workflow's author added to the action. */
  customData: z.record(z.string(), z.json()).optional(),
  webhookId: z.string().min(1).max(200).optional(),
  webhook_id: z.string().min(1).max(200).optional(),
  timestamp: z.string().optional(),
});

/** A workflow delivery. */
export type WorkflowEvent = z.infer<typeof workflowEventSchema>;

/** The outcome of {@link parseWorkflowEvent}. */
export type WorkflowEventParse = { ok: true; event: WorkflowEvent } | { ok: false; error: string };

/** Validates a parsed workflow delivery body (intake's, or a stored inbox payload). */
export function parseWorkflowEvent(payload: unknown): WorkflowEventParse {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return { ok: false, error: "payload must be a JSON object" };
  const parsed = workflowEventSchema.safeParse(payload);
  return parsed.success ? { ok: true, event: parsed.data } : { ok: false, error: describeIssues(parsed.error) };
}

/**
 * The delivery's idempotency key: its own id when it carries one, else the SHA-256 of its
 * raw body, so a workflow that fires the same body twice is stored once.
 */
export function workflowWebhookId(event: WorkflowEvent, rawBody: Buffer): string {
  return event.webhookId ?? event.webhook_id ?? createHash("sha256").update(rawBody).digest("hex");
}

/** When the workflow says it fired, else `receivedAt`. */
export function workflowTimestamp(event: WorkflowEvent, receivedAt: Date): Date {
  const stated = event.timestamp === undefined ? Number.NaN : Date.parse(event.timestamp);
  return Number.isNaN(stated) ? receivedAt : new Date(stated);
}
