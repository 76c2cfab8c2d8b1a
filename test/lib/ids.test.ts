import { isUuid, uuidv7, uuidv7From } from "../../lib/ids";

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("uuidv7", () => {
  it("is a version 7, RFC variant UUID carrying its millisecond time in the first 48 bits", () => {
    const now = Date.UTC(2026, 10, 22, 8, 30, 0, 123);
    const id = uuidv7(now);
    expect(id).toMatch(V7);
    expect(isUuid(id)).toBe(true);
    expect(parseInt(id.replace(/-/g, "").slice(0, 12), 16)).toBe(now);
  });

  it("sorts by time as text, and ids of the same millisecond differ", () => {
    const times = [0, 1, 255, 2 ** 32, Date.UTC(2026, 0, 1), 2 ** 48 - 1];
    const ids = times.map((time) => uuidv7(time));
    expect([...ids].sort()).toEqual(ids);
    const same = new Set(Array.from({ length: 10_000 }, () => uuidv7(1_000)));
    expect(same.size).toBe(10_000);
  });

  it("derives the same id from the same time and integer (uuidv7From)", () => {
    expect(uuidv7From(1_000, 42)).toBe(uuidv7From(1_000, 42));
    expect(uuidv7From(1_000, 42)).toMatch(V7);
    expect(uuidv7From(1_000, 42)).not.toBe(uuidv7From(1_000, 43));
  });
});
