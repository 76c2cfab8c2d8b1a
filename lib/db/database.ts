import { Kysely, PostgresDialect, type LogEvent } from "kysely";
import pg from "pg";
import { Counter, Histogram } from "prom-client";
import { countStatement } from "./query-counter";
import { createLogger } from "../logger";
import { metricsRegistry } from "../metrics";

// bigint (count(*), bigserial) arrives as text by default; these fit comfortably in a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

const statements = new Counter({
  name: "hub_sql_statements_total",
  help: "SQL statements sent to Postgres",
  labelNames: ["pool"],
  registers: [metricsRegistry],
});
const statementSeconds = new Histogram({
  name: "hub_sql_statement_duration_seconds",
  help: "SQL statement duration",
  labelNames: ["pool"],
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  registers: [metricsRegistry],
});

const poolErrors = new Counter({
  name: "hub_sql_pool_errors_total",
  help: "Idle pooled database connections that failed",
  labelNames: ["pool"],
  registers: [metricsRegistry],
});
const poolLogger = createLogger("db");

/** Options for {@link createDatabase}. */
export interface DatabaseOptions {
  /** Label for metrics and logs (a service name). */
  name: string;
  /** Max pooled connections. */
  poolSize?: number;
}

/**
 * A Kysely handle over a pg pool. Every statement it sends is counted (per request through
 * {@link countStatement}, and in Prometheus).
 */
export function createDatabase<DB>(connectionString: string, options: DatabaseOptions): Kysely<DB> {
  const labels = { pool: options.name };
  // A bounded wait for a pooled connection: an exhausted pool then fails requests with an
  // error in the log instead of hanging them forever.
  const pool = new pg.Pool({ connectionString, max: options.poolSize ?? 10, application_name: options.name, connectionTimeoutMillis: 10_000 });
  // An idle pooled connection that dies (Postgres restarted, a failover) is an error event;
  // unheard, it would crash the process. The pool replaces the connection on next use.
  pool.on("error", (error) => {
    poolErrors.inc(labels);
    poolLogger.warn({ err: error, pool: options.name }, "idle database connection lost");
  });
  // A connection lost while checked out (a transaction between statements when Postgres
  // stops) has no listener either: pg-pool removes its own on checkout and Kysely adds none,
  // so the error event would crash the process. The statement in flight, if any, fails by
  // itself, and the pool discards the broken connection when it comes back.
  pool.on("connect", (client) => {
    client.on("error", (error) => {
      poolErrors.inc(labels);
      poolLogger.warn({ err: error, pool: options.name }, "database connection lost while in use");
    });
  });
  return new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    log(event: LogEvent) {
      countStatement();
      statements.inc(labels);
      statementSeconds.observe(labels, event.queryDurationMillis / 1000);
    },
  });
}
