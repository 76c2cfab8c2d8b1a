import { AsyncLocalStorage } from "node:async_hooks";

/** SQL statements issued within one unit of work (usually one GraphQL request). */
export interface QueryCount {
  statements: number;
}

const storage = new AsyncLocalStorage<QueryCount>();

/** Runs `fn` with a fresh statement counter that every query issued inside it increments. */
export function withQueryCounter<T>(fn: () => T): { result: T; count: QueryCount } {
  const count: QueryCount = { statements: 0 };
  return { result: storage.run(count, fn), count };
}

/** Called by the database layer for each statement it sends. */
export function countStatement(): void {
  const count = storage.getStore();
  if (count) count.statements += 1;
}
