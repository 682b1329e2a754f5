// The imports a Node gateway's sweep resumes at once (CUSTGATE_IMPORT_RESUMES). A gateway restarted
// with many interrupted imports would otherwise start a walk of each provider's list at once: a
// burst on the providers' rate limits and on this process. The rest wait, oldest first, each
// started as a slot frees: none is dropped, and the sweep's order keeps any from being passed over.

export class ResumeSlots {
  readonly #limit: number;
  #running = 0;
  #waiting = false;
  #freed: (() => void) | undefined;

  constructor(limit: number) {
    this.#limit = Math.max(1, Math.floor(limit));
  }

  /** Resumed imports running now. */
  get running(): number {
    return this.#running;
  }

  /** Whether the sweep has an import to resume and waits for a slot. */
  get waiting(): boolean {
    return this.#waiting;
  }

  /** Waits until a slot is free (true) or `stopping` is set (false: a shutdown, nothing more is started). */
  async free(stopping: { readonly aborted: boolean }): Promise<boolean> {
    while (this.#running >= this.#limit && !stopping.aborted) {
      this.#waiting = true;
      await new Promise<void>((resolve) => {
        this.#freed = resolve;
      });
      this.#waiting = false;
    }
    return !stopping.aborted;
  }

  /** Takes a slot for a resumed import's run, given back when it settles. */
  hold(run: Promise<unknown>): void {
    this.#running++;
    const release = () => {
      this.#running--;
      this.wake();
    };
    run.then(release, release);
  }

  /** Lets the waiting sweep look again: a slot freed, or the gateway is stopping. */
  wake(): void {
    const freed = this.#freed;
    this.#freed = undefined;
    freed?.();
  }
}
