import { releaseTestDatabase } from "./global-setup";

/** Stops the test run's embedded Postgres and removes its directory, or drops its database and role. */
export default async function globalTeardown(): Promise<void> {
  await releaseTestDatabase();
}
