import { expect, it } from 'vitest';
import { runCli } from './support/processes.ts';

// `custgate webhook roll-secret --help` names its default as the option is written (docs/webhooks.md:
// `--overlap 24h`); it said "(default: 86400000)", the milliseconds the option is parsed into.
it('webhook roll-secret --help shows the --overlap default as a duration', async () => {
  const help = await runCli(['webhook', 'roll-secret', '--help'], {});
  expect(help.replace(/\s+/g, ' ')).toContain('how long the old secret still signs (90s, 15m, 12h, 3d) (default: 24h)');
}, 60_000);
