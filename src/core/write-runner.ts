import type { Customer } from '../../schemas/index.ts';
import { GatewayError } from '../contract/errors.ts';
import { type CustomerRow, LockTimeout, type Store, type WritePlan } from '../store/index.ts';
import { concurrentUpdate, lostRace, missing, takenValue } from './write-checks.ts';
import type { Recorder, ServiceOptions, Write } from './write-request.ts';
import { backoff, QueueTimeout, WriteQueue } from './write-queue.ts';

// How CustomerService commits a write it has planned: one customer's writers in turn in this
// process, and the compare-and-set (or the row lock) across processes.

export class WriteRunner {
  readonly #store: Store;
  readonly #options: ServiceOptions;
  readonly #writers = new WriteQueue();

  constructor(store: Store, options: ServiceOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** Runs one customer's write plan: queued behind this process's writers of it, then compare-and-set (or the row lock). */
  async run(
    found: CustomerRow,
    segment: string,
    ctx: Write,
    replicas: readonly { readonly id: string }[],
    planOf: (row: CustomerRow) => WritePlan<Customer>,
    recorder?: Recorder,
  ): Promise<Customer> {
    const tenantId = ctx.principal.tenantId;
    const reread = async () => (await this.#store.findCustomer(tenantId, 'uuid', found.id, 'write')) ?? missing(segment);
    try {
      return await this.#writers.run(`${tenantId}/${found.id}`, this.#options.writeWaitMs, async (waited) => {
        let row = waited ? await reread() : found;
        for (let attempt = 1; ; attempt++) {
          const plan = planOf(row);
          try {
            if (plan.unit) await this.#store.updateCustomer(plan.unit);
            else if (plan.finish) await this.#store.finishKey(plan.finish);
            if (plan.unit && replicas.length > 0) this.#options.replicated?.(ctx.background);
            if (plan.unit && recorder) this.#options.events?.committed(ctx.background);
            return plan.value;
          } catch (error) {
            lostRace(error);
          }
          if (this.#store.locksRows) {
            // The plan made under the lock may write nothing (the winner already made this change):
            // then there is no delivery or event to wake the drains for.
            // Its write meets the same unique indexes as the compare-and-set's: an alias or external id
            // another customer took is the same 409 (it was a 500 after a race lost to another process).
            let wrote = false;
            const value = await this.#store
              .updateLocked(
                tenantId,
                found.id,
                (locked) => {
                  const decided = planOf(locked ?? missing(segment));
                  wrote = decided.unit !== undefined;
                  return decided;
                },
                this.#options.writeWaitMs,
              )
              .catch((error: unknown) => {
                throw takenValue(error);
              });
            if (wrote && replicas.length > 0) this.#options.replicated?.(ctx.background);
            if (wrote && recorder) this.#options.events?.committed(ctx.background);
            return value;
          }
          if (attempt >= this.#options.maxAttempts) break;
          await backoff(attempt);
          row = await reread();
        }
        throw concurrentUpdate();
      });
    } catch (error) {
      if (error instanceof QueueTimeout || error instanceof LockTimeout) {
        throw new GatewayError(
          'conflict',
          `Waited more than ${this.#options.writeWaitMs} ms for other updates of this customer; retry the request.`,
          { field: 'version' },
        );
      }
      throw error;
    }
  }
}
