import type { TestProject } from 'vitest/node';
import { compiledCli } from './support/compiled-cli.ts';

// Once per `vitest run`: the CLI that test/support/processes.ts spawns, compiled as the package
// ships it (test/support/compiled-cli.ts). CUSTGATE_TEST_CLI=source spawns it through tsx instead,
// straight from the sources (nothing built).
export default async function setup(project: TestProject): Promise<void> {
  if (process.env.CUSTGATE_TEST_CLI === 'source') return;
  // The test processes start after this and inherit the variable.
  process.env.CUSTGATE_TEST_CLI_BIN = await compiledCli();
  // Watch mode: a rerun after an edit gets a build of the edited sources.
  project.onTestsRerun(async () => {
    process.env.CUSTGATE_TEST_CLI_BIN = await compiledCli();
  });
}
