/**
 * Parsed, validated copies of data files kept in memory (docs/architecture.md §6.1),
 * so the backend parses a series once instead of on every request.
 *
 * Freshness: every `get` stats the file (one cheap system call) and compares
 * its identity (inode, size, mtime and ctime, in nanoseconds) with the one recorded
 * when the copy was read; any difference re-reads it, so a rewritten file (even of
 * the same size, even replaced by a rename) is never served stale, and a deleted
 * file fails as it did without a cache. The identity is taken from the open handle
 * before its bytes are read, so a write racing the read leaves a newer mtime behind
 * and the next request re-reads.
 *
 * The residual risk is a rewrite within one tick of the file system's clock
 * (a few ms on ext4, up to 2 s on FAT or some NFS servers): the same size and the
 * same inode leave mtime and ctime unchanged. Like git's "racily clean" index
 * entries, a copy read while the file was younger than `racyWindowMs` is not
 * trusted: it is served to the request that read it but re-read on the next one,
 * so only files older than any clock tick are served from memory.
 *
 * Bounded memory: least-recently-used copies are dropped past `budgetBytes`; a copy
 * larger than the whole budget is served but not kept. Concurrent requests for the
 * same unread file share one read. Failures (a missing or invalid file) are not
 * kept: they are thrown to every waiter, and the next request tries again.
 */
import type { BigIntStats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { systemClock, type Clock } from '../common/clock.js';

/** Enough for a few million bars of several series (one bar is 48 bytes). */
export const DEFAULT_CACHE_BUDGET_BYTES = 512 * 1024 * 1024;
/** Longer than any file system's timestamp granularity (FAT: 2 s). */
export const DEFAULT_RACY_WINDOW_MS = 3_000;

export interface FileCacheOptions {
  readonly budgetBytes?: number;
  readonly racyWindowMs?: number;
  readonly clock?: Clock;
}

export interface FileCacheStats {
  readonly hits: number;
  /** Reads of a file (first time, changed, evicted or too young to trust). */
  readonly reads: number;
  readonly entries: number;
  readonly bytes: number;
}

interface Entry {
  readonly identity: string;
  readonly value: unknown;
  readonly bytes: number;
}

function identityOf(stats: BigIntStats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
}

export class ParsedFileCache {
  /** Insertion order is recency order: a hit moves the entry to the end. */
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, { identity: string; promise: Promise<unknown> }>();
  private readonly budgetBytes: number;
  private readonly racyWindowMs: number;
  private readonly clock: Clock;
  private bytes = 0;
  private hits = 0;
  private reads = 0;

  constructor(options: FileCacheOptions = {}) {
    this.budgetBytes = options.budgetBytes ?? DEFAULT_CACHE_BUDGET_BYTES;
    this.racyWindowMs = options.racyWindowMs ?? DEFAULT_RACY_WINDOW_MS;
    this.clock = options.clock ?? systemClock;
  }

  /**
   * The parsed content of `path`. `variant` separates different parses of one file
   * (another gap policy); `parse` throws for an invalid file; `sizeOf` is the
   * parsed value's weight in bytes. Errors of the file system (ENOENT) are thrown as is.
   */
  async get<T>(path: string, variant: string, parse: (text: string) => T, sizeOf: (value: T) => number): Promise<T> {
    const key = `${variant}\u0000${path}`;
    let identity: string;
    try {
      identity = identityOf(await stat(path, { bigint: true }));
    } catch (error) {
      this.drop(key);
      throw error;
    }
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.identity === identity) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      this.hits += 1;
      return entry.value as T;
    }
    const pending = this.inFlight.get(key);
    if (pending !== undefined && pending.identity === identity) return pending.promise as Promise<T>;

    const promise = this.read(key, path, parse, sizeOf);
    const flight = { identity, promise };
    this.inFlight.set(key, flight);
    const settle = () => {
      if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
    };
    promise.then(settle, settle);
    return promise;
  }

  stats(): FileCacheStats {
    return { hits: this.hits, reads: this.reads, entries: this.entries.size, bytes: this.bytes };
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private async read<T>(key: string, path: string, parse: (text: string) => T, sizeOf: (value: T) => number): Promise<T> {
    this.reads += 1;
    // Before the stat: the copy's age is then underestimated, never overestimated.
    const readAt = this.clock.now();
    let stats: BigIntStats;
    let text: string;
    try {
      const handle = await open(path, 'r');
      try {
        stats = await handle.stat({ bigint: true });
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (error) {
      this.drop(key);
      throw error;
    }
    let value: T;
    try {
      value = parse(text);
    } catch (error) {
      this.drop(key);
      throw error;
    }
    const trusted = readAt - Number(stats.mtimeMs) >= this.racyWindowMs;
    this.drop(key);
    const bytes = sizeOf(value);
    if (trusted && bytes <= this.budgetBytes) {
      this.entries.set(key, { identity: identityOf(stats), value, bytes });
      this.bytes += bytes;
      this.evict();
    }
    return value;
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.budgetBytes) return;
      this.entries.delete(key);
      this.bytes -= entry.bytes;
    }
  }
}
