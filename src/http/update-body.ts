import type { AnyDialect, Principal } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import { LimitedRefusal } from '../contract/held-limits.ts';
import { validateUpdate } from '../contract/validate.ts';
import type { Runtime } from './runtime.ts';

/**
 * An update body, checked as far as it can be before the write (src/contract/held-limits.ts). One
 * refused for a fault beside a value past a limit names only the real faults: the customer the
 * path names is read to tell a value it holds from a changed one; where there is none (or it is
 * deleted), every fault stands. A read that fails (the store locked or down, a proxy's provider
 * unreachable) is that failure's answer, as any read's: a 400 would tell the caller its body is at
 * fault when a retry could be taken.
 */
export async function checkedUpdateBody(
  dialect: AnyDialect,
  rt: Pick<Runtime, 'customers'>,
  request: { readonly principal: Principal; readonly id: string; readonly via: string | undefined },
  raw: unknown,
) {
  try {
    return validateUpdate(dialect.wire.request.update, raw);
  } catch (error) {
    if (!(error instanceof LimitedRefusal)) throw error;
    const { principal, id, via } = request;
    const found = await rt.customers.read(principal, dialect.ids, id, via).catch((failed: unknown) => {
      if (failed instanceof GatewayError && failed.code === 'not_found') return undefined;
      throw failed;
    });
    if (!found || found.deleted) throw error;
    throw error.narrowed(dialect.wire.render(found.customer, { expand: [], principal }));
  }
}
