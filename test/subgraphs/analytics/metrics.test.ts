import { startStack, type TestStack } from "../../helpers/stack";

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

describe("analytics metrics", () => {
  it("exposes the projection's lag on /metrics, measured at scrape time", async () => {
    const response = await fetch(new URL("/metrics", stack.analyticsUrl));
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/^analytics_consumer_lag_events \d+$/m);
    expect(text).toMatch(/^analytics_consumer_lag_seconds [\d.e+-]+$/m);
  });
});
