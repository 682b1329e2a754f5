// Rounds of a queue of deliveries (the outbox's, the webhooks') that leased rows and then failed:
// the store went down under them (a restarted database), a claim's answer was lost, a read or the
// settling commit failed. Their rows are put back at the start of the dispatcher's next drain (the
// poll runs one) rather than left leased until the lease ends, which is for a process that died,
// with every later version of their customers waiting behind them. This process is alive and
// knows the round ended: a round fails only after all its sends ended (src/outbox/drain-loop.ts),
// so no row is put back while its send is in flight.

interface Unsettled<Row> {
  readonly owner: string;
  readonly rows: readonly Row[];
}

export class UnsettledRounds<Row> {
  readonly #putBack: (rows: readonly Row[], owner: string, now: string) => Promise<void>;
  readonly #rounds: Unsettled<Row>[] = [];

  /** `putBack` makes the rows `owner` still holds due at `now`, and leaves the others alone. */
  constructor(putBack: (rows: readonly Row[], owner: string, now: string) => Promise<void>) {
    this.#putBack = putBack;
  }

  /** The round `owner` (which may have leased `rows`) failed. */
  add(owner: string, rows: readonly Row[]): void {
    this.#rounds.push({ owner, rows });
  }

  /** Puts back every failed round's rows; while the store is still down this throws, and the next drain tries again. */
  async putBack(now: () => Date): Promise<void> {
    for (const round of [...this.#rounds]) {
      await this.#putBack(round.rows, round.owner, now().toISOString());
      // By identity: a drain beside this one may have put it back and removed it already.
      const at = this.#rounds.indexOf(round);
      if (at >= 0) this.#rounds.splice(at, 1);
    }
  }
}
