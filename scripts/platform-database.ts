import { bridgeMigrations } from "../bridge/migrations/index";
import { gatewayMigrations } from "../gateway/migrations/index";
import { ConfigError } from "../lib/config";
import { createDatabase } from "../lib/db/database";
import { ensureAppRole, migrateToLatest, type MigrationSet } from "../lib/db/migrate";
import { eventsMigrations } from "../lib/events/events.migrations";
import { analyticsMigrations } from "../subgraphs/analytics/migrations/index";
import { billingMigrations } from "../subgraphs/billing/migrations/index";
import { intelligenceMigrations } from "../subgraphs/intelligence/migrations/index";
import { leadsMigrations } from "../subgraphs/leads/migrations/index";

/** Every service's migrations, in the order they must be applied (the shared log first). */
export function allMigrationSets(appRole: string): MigrationSet[] {
  return [eventsMigrations(appRole), leadsMigrations(appRole), intelligenceMigrations(appRole), analyticsMigrations(appRole), billingMigrations(appRole), gatewayMigrations(appRole), bridgeMigrations(appRole)];
}

/** What {@link preparePlatformDatabase} needs. */
export interface PlatformDatabaseOptions {
  /** Connection string of the role that owns the schemas (runs migrations, manages the app role). */
  ownerUrl: string;
  /** The login role services connect as; row-level security applies to it. */
  appRole: string;
  appPassword: string;
  /** The services' connection string; derived from `ownerUrl` when absent. */
  appUrl?: string;
}

/**
 * The owner's connection string with the app role's credentials instead: same server,
 * same database. Throws {@link ConfigError} when there is no host part to attach them to.
 */
export function deriveAppUrl(ownerUrl: string, appRole: string, appPassword: string): string {
  const url = new URL(ownerUrl);
  if (!url.hostname) throw new ConfigError("cannot derive the app connection string from DATABASE_URL (no host); set APP_DATABASE_URL");
  url.username = encodeURIComponent(appRole);
  url.password = encodeURIComponent(appPassword);
  return url.toString();
}

/**
 * Makes a database ready for the services: creates (or re-passwords) the app role, then
 * applies every pending migration as the owner. Safe to run on every start and from
 * several processes at once.
 */
export async function preparePlatformDatabase(options: PlatformDatabaseOptions): Promise<{ appUrl: string }> {
  const db = createDatabase<unknown>(options.ownerUrl, { name: "migrate", poolSize: 2 });
  try {
    // The role first: migrations grant it privileges.
    await ensureAppRole(db, options.appRole, options.appPassword);
    await migrateToLatest(db, allMigrationSets(options.appRole));
  } finally {
    await db.destroy();
  }
  return { appUrl: options.appUrl ?? deriveAppUrl(options.ownerUrl, options.appRole, options.appPassword) };
}
