/**
 * Wake-ups between the processes sharing one database (docs/architecture.md §5.4). A notification carries no data:
 * it only says "look at the store again", so a lost one costs a delay until the next periodic pass, never a
 * wrong state. On PostgreSQL it is a NOTIFY, heard by every backend LISTENing on a dedicated connection; on PGlite
 * (one process) an in-process event.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { SqlExecutor } from './sql-client.js';

export type Listener = () => void;

export interface Notifications {
  /** Tells every subscriber to `channel`, in this process (at once) and in the others sharing the database. */
  notify(channel: string): void;
  /**
   * Tells the subscribers in the other processes sharing the database only: for a process that handles the event
   * itself when it can, and needs the others only when it cannot (docs/architecture.md §5.4).
   */
  notifyOthers(channel: string): void;
  /** Calls `listener` on every notification of `channel`; returns the unsubscribe function. */
  subscribe(channel: string, listener: Listener): () => void;
  /**
   * Settles once every channel subscribed so far hears the other processes (a LISTEN takes a round trip: a
   * NOTIFY committed before it is not heard).
   */
  ready(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Channel names are SQL identifiers in LISTEN: only these characters, so they never need quoting. */
const CHANNEL = /^[a-z_][a-z0-9_]*$/;

function checkChannel(channel: string): void {
  if (!CHANNEL.test(channel)) throw new RangeError(`notification channel '${channel}' must match ${CHANNEL.source}`);
}

/** Subscribers of this process, by channel. */
class LocalListeners {
  private readonly listeners = new Map<string, Set<Listener>>();

  add(channel: string, listener: Listener): () => void {
    checkChannel(channel);
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
    return () => void set.delete(listener);
  }

  channels(): string[] {
    return [...this.listeners.keys()];
  }

  emit(channel: string): void {
    for (const listener of this.listeners.get(channel) ?? []) listener();
  }
}

/** One process: notifications are plain calls. */
export class LocalNotifications implements Notifications {
  private readonly local = new LocalListeners();

  notify(channel: string): void {
    checkChannel(channel);
    this.local.emit(channel);
  }

  /** Nobody else: one process is alone on its database. */
  notifyOthers(channel: string): void {
    checkChannel(channel);
  }

  subscribe(channel: string, listener: Listener): () => void {
    return this.local.add(channel, listener);
  }

  async ready(): Promise<void> {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}

export interface PostgresNotificationsOptions {
  readonly host: string;
  readonly port: number;
  readonly name: string;
  readonly user: string;
  readonly password: string;
  /** Delay before reconnecting the listening connection after it broke, in ms. */
  readonly reconnectDelayMs?: number;
  /** The shortest time between two NOTIFYs of one channel from this process, in ms (DEFAULT_FOLD_MS). */
  readonly foldMs?: number;
}

/** The shortest time between two NOTIFYs of one channel from this process (PostgresNotificationsOptions.foldMs). */
export const DEFAULT_FOLD_MS = 250;

/**
 * LISTEN on one dedicated connection (a pooled one may be handed to someone else between notifications); NOTIFY
 * through the ordinary pool. Each NOTIFY carries this process's id, so the process ignores its own (it already
 * told its subscribers directly, at once). The NOTIFYs of a channel are folded: one goes out at once, then none for
 * `foldMs`, and everything notified meanwhile goes out as a single NOTIFY when that time is up. The other
 * processes only need to hear that something changed, not each change. The backend does not even send those on
 * its dispatch events (notifyOthers, docs/architecture.md §5.4): every change is dispatched by the process where
 * it happened, whose claim covers the whole database; the others are told only when that one may not take the
 * work (it is stopping, its pass failed). What is left to them waits at most the fold, and a burst of failures
 * costs at most 1000 / foldMs statements a second here and wakes each other process as often.
 */
export class PostgresNotifications implements Notifications {
  private readonly local = new LocalListeners();
  private readonly id = randomUUID();
  private client: pg.Client | null = null;
  private readonly listening = new Set<string>();
  /** LISTEN statements sent and not yet answered. */
  private readonly pendingListens = new Set<Promise<void>>();
  /** Channels whose NOTIFY is in flight or whose fold window is open; `again`: something was notified meanwhile. */
  private readonly folding = new Map<string, { again: boolean; timer: NodeJS.Timeout | null }>();
  private stopped = false;
  private reconnect: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: PostgresNotificationsOptions,
    private readonly sql: SqlExecutor,
  ) {}

  notify(channel: string): void {
    checkChannel(channel);
    this.local.emit(channel);
    this.notifyOthers(channel);
  }

  notifyOthers(channel: string): void {
    checkChannel(channel);
    if (this.stopped) return;
    const folded = this.folding.get(channel);
    if (folded) folded.again = true;
    else this.send(channel);
  }

  private send(channel: string): void {
    const state: { again: boolean; timer: NodeJS.Timeout | null } = { again: false, timer: null };
    this.folding.set(channel, state);
    // A failed NOTIFY is not retried: the others miss this one and their periodic pass catches up.
    void this.sql
      .query('SELECT pg_notify($1, $2)', [channel, this.id])
      .catch(() => undefined)
      .then(() => {
        if (this.stopped) return void this.folding.delete(channel);
        state.timer = setTimeout(() => {
          this.folding.delete(channel);
          if (state.again && !this.stopped) this.send(channel);
        }, this.options.foldMs ?? DEFAULT_FOLD_MS);
        state.timer.unref();
      });
  }

  subscribe(channel: string, listener: Listener): () => void {
    const unsubscribe = this.local.add(channel, listener);
    if (this.client && !this.listening.has(channel)) void this.listen(this.client, channel).catch(() => undefined);
    return unsubscribe;
  }

  async ready(): Promise<void> {
    await Promise.allSettled([...this.pendingListens]);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnect) clearTimeout(this.reconnect);
    for (const state of this.folding.values()) if (state.timer) clearTimeout(state.timer);
    this.folding.clear();
    const client = this.client;
    this.client = null;
    this.listening.clear();
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const { host, port, name, user, password } = this.options;
    const client = new pg.Client({ host, port, database: name, user, password });
    client.on('notification', (message) => {
      if (message.payload !== this.id) this.local.emit(message.channel);
    });
    client.on('error', () => this.broken(client));
    client.on('end', () => this.broken(client));
    await client.connect();
    this.client = client;
    for (const channel of this.local.channels()) await this.listen(client, channel);
  }

  private async listen(client: pg.Client, channel: string): Promise<void> {
    this.listening.add(channel);
    const listened = client.query(`LISTEN ${channel}`).then(() => undefined);
    this.pendingListens.add(listened);
    try {
      await listened;
    } finally {
      this.pendingListens.delete(listened);
    }
  }

  /** The listening connection is gone: connect again later, and wake every subscriber (something may have been missed). */
  private broken(client: pg.Client): void {
    if (this.client !== client || this.stopped) return;
    this.client = null;
    this.listening.clear();
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.reconnect = setTimeout(() => {
      this.reconnect = null;
      if (this.stopped) return;
      this.connect().then(
        () => {
          for (const channel of this.local.channels()) this.local.emit(channel);
        },
        () => this.scheduleReconnect(),
      );
    }, this.options.reconnectDelayMs ?? 1_000);
    this.reconnect.unref();
  }
}
