import type { Command } from 'commander';
import { newSigningSecret } from '../auth/jwt.ts';
import { loadConfig } from '../config.ts';
import { openStore } from '../open-store.ts';
import { replaceSigningKey } from '../store/signing-keys.ts';
import { findTenant } from '../store/tenant-admin.ts';
import { printAnswer } from './output.ts';
import { duration } from './tenants.ts';

// `custgate tenant rotate-signing-key <tenant>`: a new JWT signing key for one tenant, the old one
// verifying for an overlap (so clients can fetch new tokens) and then retired.

type Env = Readonly<Record<string, string | undefined>>;

export function registerSigningKeyCommands(program: Command, env: Env): void {
  const tenant = program.commands.find((c) => c.name() === 'tenant') ?? program.command('tenant').description('manage tenants');
  tenant
    .command('rotate-signing-key <tenant>')
    .description("replace a tenant's JWT signing key; tokens signed with the old one verify until --overlap ends")
    .option('--overlap <duration>', 'how long old tokens keep verifying (0, 90s, 15m, 12h, 7d)', duration, 3600)
    .option('--json', 'print one JSON object and nothing else')
    .action(async (ref: string, opts: { overlap: number; json?: boolean }) => {
      if (loadConfig(env).jwt.secret !== undefined) {
        throw new Error('CUSTGATE_JWT_SECRET is set: tenant keys are derived from it, not stored; replace that secret instead');
      }
      const store = await openStore(env);
      try {
        const found = await findTenant(store, ref);
        const now = new Date();
        const retiring = await replaceSigningKey(store, found.id, newSigningSecret(), new Date(now.getTime() + opts.overlap * 1000), now);
        const result = {
          tenant: { id: found.id, name: found.name },
          rotated_at: now.toISOString(),
          old_key_retires_at: retiring?.until ?? null,
        };
        printAnswer(
          opts.json,
          result,
          () =>
            `New signing key for ${found.name} (${found.id}). ${
              retiring ? `Tokens signed with the old key verify until ${retiring.until}.` : 'No old key verifies any more.'
            } Mint new tokens with \`custgate token mint ${found.id} --dialect <connhex|bigcapital>\`; running gateways pick the key up within CUSTGATE_KEY_CACHE_TTL_MS.\n`,
        );
      } finally {
        await store.executor.close();
      }
    });
}
