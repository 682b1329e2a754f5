// kysely's Migrator refuses a database that holds a migration it was not given: "corrupted
// migrations: previously executed migration X is missing". That is what a release sees on a
// database a newer release has migrated (a rolling upgrade's old process restarting, a roll-back),
// not a corruption: "corrupted" sent an operator to the backups, and said nothing of what to run.
const missing = /previously executed migration (\S+) is missing/;

/** The migrator's error, said as what it is when the database is newer than this release. */
export function newerSchemaError(error: unknown, known: readonly string[]): unknown {
  const found = error instanceof Error ? missing.exec(error.message) : null;
  if (!found) return error;
  const last = [...known].sort().at(-1) ?? 'none';
  return new Error(
    `the database was migrated by a newer release of custgate: it has migration ${found[1]}, and this release knows migrations up to ${last}. ` +
      'Run the newer release on it (docs/scaling.md, rolling upgrades); nothing was changed.',
  );
}
