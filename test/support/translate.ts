import { beforeAll } from 'vitest';
import { type TestGateway, testGateway } from './gateway.ts';

/**
 * A gateway in this process for a test file's POST /gateway/v1/translate requests (made in
 * beforeAll where it is called), with its tenant's Wooshpay key as the default credential.
 */
export interface TranslateRig {
  readonly gw: TestGateway;
  readonly auth: Record<string, string>;
  translate(query: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
}

export function translateRig(): TranslateRig {
  let made: TestGateway | undefined;
  beforeAll(async () => {
    made = await testGateway();
  });
  const rig: TranslateRig = {
    get gw(): TestGateway {
      if (!made) throw new Error('the gateway is made in beforeAll');
      return made;
    },
    get auth(): Record<string, string> {
      return { authorization: `Bearer ${rig.gw.tenant.credentials.wooshpay!.secret_key}` };
    },
    translate: (query: string, body: unknown, headers: Record<string, string> = rig.auth) =>
      rig.gw.request(`/gateway/v1/translate?${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      }),
  };
  return rig;
}
