import { Role } from "../../lib/auth/roles";
import { messageReply, startFakeAnthropic, type FakeAnthropic } from "../helpers/fake-anthropic";
import { eventually } from "../helpers/eventually";
import { bearer, graphql, startStack, uniqueTenant, type TestStack } from "../helpers/stack";

const tenant = uniqueTenant("llm");
let fake: FakeAnthropic;
let stack: TestStack;
let agent: Record<string, string>;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  stack = await startStack({}, { anthropic: { apiKey: "sk-ant-test", model: "claude-test-model", baseURL: fake.baseURL, timeoutMs: 2_000 } });
  agent = bearer(await stack.token(tenant, Role.AGENT));
});
afterAll(async () => {
  await stack.stop();
  await fake.close();
});

const ANALYZE = `mutation($input: AnalyzeMessageInput!) {
  analyzeMessage(input: $input) {
    insight { intent urgency provider fallbackReason summary extracted { budgetMax bedrooms areas timeline } }
    userErrors { code }
  }
}`;

type Insight = { intent: string; urgency: string; provider: string; fallbackReason: string | null; summary: string; extracted: { budgetMax: number | null; bedrooms: number | null; areas: string[]; timeline: string | null } };

async function leadKnownToIntelligence(): Promise<string> {
  const created = await graphql<{ createLead: { lead: { id: string } } }>(stack.gatewayUrl, "mutation { createLead(input: { firstName: \"Ana\", lastName: \"Lopez\" }) { lead { id } } }", {}, agent);
  const leadId = created.data!.createLead.lead.id;
  await eventually(async () => {
    const read = await graphql<{ lead: { score: unknown } }>(stack.gatewayUrl, "query($id: ID!) { lead(id: $id) { score { value } } }", { id: leadId }, agent);
    expect(read.data?.lead.score).not.toBeNull();
  });
  return leadId;
}

async function analyze(leadId: string, body: string): Promise<Insight> {
  const response = await graphql<{ analyzeMessage: { insight: Insight; userErrors: unknown[] } }>(stack.gatewayUrl, ANALYZE, { input: { leadId, channel: "EMAIL", body } }, agent);
  expect(response.errors).toBeUndefined();
  expect(response.data!.analyzeMessage.userErrors).toEqual([]);
  return response.data!.analyzeMessage.insight;
}

describe("analyzeMessage with ANTHROPIC_API_KEY set", () => {
  it("uses the provider's validated reply", async () => {
    const leadId = await leadKnownToIntelligence();
    fake.reply(
      messageReply(
        JSON.stringify({ intent: "SELL", sentiment: "POSITIVE", urgency: "HIGH", extracted: { budgetMax: null, bedrooms: 4, areas: ["Leander"], timeline: "WITHIN_3_MONTHS" }, summary: "Wants to sell the Leander house this spring." }),
      ),
    );
    fake.received.length = 0;
    const insight = await analyze(leadId, "We want to list our 4 bedroom in Leander before spring.");
    expect(insight).toEqual({
      intent: "SELL",
      urgency: "HIGH",
      provider: "ANTHROPIC",
      fallbackReason: null,
      summary: "Wants to sell the Leander house this spring.",
      extracted: { budgetMax: null, bedrooms: 4, areas: ["Leander"], timeline: "WITHIN_3_MONTHS" },
    });
    expect(fake.received).toHaveLength(1);
    expect(JSON.stringify(fake.received[0]!.body)).toContain("list our 4 bedroom in Leander");
  });

  it("falls back to the local analyzer on a malformed reply, recording why", async () => {
    const leadId = await leadKnownToIntelligence();
    fake.reply(messageReply("Sure! Here is the analysis: intent=BUY"));
    const insight = await analyze(leadId, "Looking for a 3 bed in Kyle under $350k");
    expect(insight).toMatchObject({ provider: "LOCAL", fallbackReason: "anthropic: reply was not valid JSON", intent: "BUY", extracted: { budgetMax: 350_000, bedrooms: 3, areas: ["Kyle"] } });
  });
});
