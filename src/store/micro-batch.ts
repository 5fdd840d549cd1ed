/**
 * Requests that arrive together, run as one statement (docs/architecture.md §5.1): the first request waits for the
 * event loop to turn (setImmediate), so that the others already in hand join it; while that statement runs, new
 * requests queue and go together in the next one. A lone request costs one turn of the event loop; 2,000 workers
 * registering at once cost a few dozen statements instead of 2,000 round trips.
 *
 * Two requests that share a key (the same worker id, the same endpoint) never go in one statement: the later one
 * waits for the next, so each statement sees the effect of the one before, as one-at-a-time requests would. When
 * a statement of several requests fails, each is run again alone, so that a bad one fails only itself.
 */

export interface MicroBatchOptions<T> {
  /** Most requests in one statement. */
  readonly maxSize: number;
  /** Keys two requests of one statement may not share. */
  readonly keys?: (item: T) => readonly string[];
  /**
   * How long the first request waits for others to join, in ms (default 0: one turn of the event loop). For
   * requests nobody waits on urgently, whose statement is worth sparing.
   */
  readonly windowMs?: number;
}

interface Entry<T, R> {
  readonly item: T;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

export class MicroBatch<T, R> {
  private queue: Entry<T, R>[] = [];
  private running = false;

  /** `run` answers one result per request, in their order. */
  constructor(
    private readonly run: (items: readonly T[]) => Promise<readonly R[]>,
    private readonly options: MicroBatchOptions<T>,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.running) return;
      this.running = true;
      const windowMs = this.options.windowMs ?? 0;
      if (windowMs > 0) setTimeout(() => void this.drain(), windowMs);
      else setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) await this.runBatch(this.take());
    this.running = false;
  }

  /** The oldest requests up to maxSize, leaving in the queue (in their order) those sharing a key with one taken. */
  private take(): Entry<T, R>[] {
    const { keys, maxSize } = this.options;
    if (!keys) return this.queue.splice(0, maxSize);
    const taken: Entry<T, R>[] = [];
    const left: Entry<T, R>[] = [];
    const used = new Set<string>();
    for (const entry of this.queue) {
      const own = keys(entry.item);
      if (taken.length >= maxSize || own.some((key) => used.has(key))) {
        left.push(entry);
        // A later request sharing a key with this one must not overtake it.
        for (const key of own) used.add(key);
        continue;
      }
      for (const key of own) used.add(key);
      taken.push(entry);
    }
    this.queue = left;
    return taken;
  }

  private async runBatch(batch: readonly Entry<T, R>[]): Promise<void> {
    try {
      const results = await this.run(batch.map((entry) => entry.item));
      batch.forEach((entry, i) => entry.resolve(results[i] as R));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // One bad request (a value the database refuses) must not fail the others: each alone.
      for (const entry of batch) await this.runBatch([entry]);
    }
  }
}
