import { z } from "zod";
import { postToGateway, type GatewayTarget } from "../processing/gateway-client";
import { transportReason } from "../transport-reason";

/** A lead's score as it stands now, with its best matches. */
export interface LeadScoreSnapshot {
  ghlContactId: string;
  score: { value: number; tier: string };
  /** Best first. */
  matches: { address: string; price: number }[];
}

/** What looking a lead up came to. */
export type LeadScoreLookup =
  | { kind: "found"; lead: LeadScoreSnapshot }
  /** Nothing to write: the lead is gone, did not come from GHL, or has no score. */
  | { kind: "skip"; reason: string }
  /** A failure that may pass. */
  | { kind: "retry"; reason: string };

/** Reads leads' current scores through the gateway. */
export interface LeadScoreReader {
  read(tenantId: string, leadId: string): Promise<LeadScoreLookup>;
}

/** How many matches the write-back names. */
export const WRITTEN_MATCHES = 3;

const QUERY = `query($id: ID!) { lead(id: $id) { ghlContactId score { value tier } propertyMatches(first: ${WRITTEN_MATCHES}) { nodes { property { address price } } } } }`;

const responseSchema = z.object({
  data: z
    .object({
      lead: z
        .object({
          ghlContactId: z.string().nullable(),
          score: z.object({ value: z.number(), tier: z.string() }).nullable(),
          propertyMatches: z.object({ nodes: z.array(z.object({ property: z.object({ address: z.string(), price: z.number() }) })) }),
        })
        .nullable(),
    })
    .nullable()
    .optional(),
  errors: z.array(z.object({ extensions: z.object({ code: z.string().optional() }).loose().optional() }).loose()).optional(),
});

/**
 * Creates the reader: one GraphQL query per lead, as a `tenants:any` service caller naming
 * the tenant in `tenantHeader`. The write-back reads at write time rather than trusting the
 * event, so a write that waited (debounce, rate limit, retry) carries the latest values.
 */
export function createLeadScoreReader(options: GatewayTarget): LeadScoreReader {
  return {
    async read(tenantId, leadId) {
      const post = await postToGateway(options, tenantId, QUERY, { id: leadId });
      if (!post.sent) return { kind: "retry", reason: `lead lookup ${transportReason(post.error)}` };
      const { status, body } = post;
      const parsed = responseSchema.safeParse(body);
      if (!parsed.success) return { kind: "retry", reason: `lead lookup: HTTP ${status} without a readable response` };
      const codes = (parsed.data.errors ?? []).map((error) => error.extensions?.code ?? "UNKNOWN");
      // A partial answer (matches failing) would write a wrong text: the whole lookup is retried.
      if (codes.length > 0) return { kind: "retry", reason: `lead lookup: HTTP ${status}, ${[...new Set(codes)].join(", ")}` };
      const lead = parsed.data.data?.lead;
      if (!lead) return { kind: "skip", reason: "lead not found" };
      if (lead.ghlContactId === null) return { kind: "skip", reason: "lead not from GHL" };
      if (lead.score === null) return { kind: "skip", reason: "lead not scored" };
      return {
        kind: "found",
        lead: { ghlContactId: lead.ghlContactId, score: lead.score, matches: lead.propertyMatches.nodes.map((node) => node.property) },
      };
    },
  };
}
