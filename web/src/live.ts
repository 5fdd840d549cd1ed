/**
 * What the pages show live: workers and operations, read once from the API and then kept current by the event
 * stream. When the stream is down the page says so (banner) and falls back to polling every few seconds.
 */
import { useEffect, useState } from 'preact/hooks';
import type { OperationRecord, WorkerRecord } from '../../src/api/contract.js';
import type { DashboardEvent } from '../../src/api/events.js';
import { followEvents, type Api } from './api.js';

export interface LiveState {
  readonly workers: ReadonlyMap<string, WorkerRecord>;
  readonly operations: ReadonlyMap<string, OperationRecord>;
  /** null while connected; else why the stream is down. */
  readonly connection: string | null;
  readonly lastEventAt: string | null;
}

const POLL_MS = 5_000;

export class Live {
  private state: LiveState = { workers: new Map(), operations: new Map(), connection: 'connecting…', lastEventAt: null };
  private readonly listeners = new Set<(state: LiveState) => void>();
  private stopEvents: (() => void) | null = null;
  private poller: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly api: Api,
    private readonly onUnauthorized: () => void,
  ) {}

  get current(): LiveState {
    return this.state;
  }

  start(): void {
    if (this.stopEvents) return;
    void this.reload();
    this.stopEvents = followEvents(this.onUnauthorized, {
      onReady: () => {
        this.set({ connection: null });
        this.stopPolling();
        void this.reload();
      },
      onDown: (reason) => {
        this.set({ connection: reason });
        this.startPolling();
      },
      onEvent: (event) => this.apply(event),
    });
  }

  stop(): void {
    this.stopEvents?.();
    this.stopEvents = null;
    this.stopPolling();
  }

  subscribe(listener: (state: LiveState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Puts an operation the page just read (or started) into the state without waiting for its event. */
  upsertOperation(operation: OperationRecord): void {
    const operations = new Map(this.state.operations);
    operations.set(operation.operation_id, operation);
    this.set({ operations });
  }

  async reload(): Promise<void> {
    try {
      const [workers, operations] = await Promise.all([this.api.workers(), this.api.operations()]);
      this.set({
        workers: new Map(workers.map((w) => [w.worker_id, w])),
        operations: new Map(operations.map((o) => [o.operation_id, o])),
      });
    } catch {
      // The banner (stream down) or the sign-in screen (401) already tells the operator.
    }
  }

  private startPolling(): void {
    this.poller ??= setInterval(() => void this.reload(), POLL_MS);
  }

  private stopPolling(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
  }

  private apply(event: DashboardEvent): void {
    const at = new Date().toISOString();
    switch (event.type) {
      case 'operation.created':
      case 'operation.status':
      case 'operation.progress': {
        const operations = new Map(this.state.operations);
        operations.set(event.operation.operation_id, event.operation);
        return this.set({ operations, lastEventAt: at });
      }
      case 'worker.registered':
      case 'worker.updated': {
        const workers = new Map(this.state.workers);
        workers.set(event.worker.worker_id, event.worker);
        return this.set({ workers, lastEventAt: at });
      }
      case 'worker.removed': {
        const workers = new Map(this.state.workers);
        workers.delete(event.worker_id);
        return this.set({ workers, lastEventAt: at });
      }
      case 'heartbeat':
        return this.set({ lastEventAt: at });
      case 'shutdown':
        return this.set({ connection: 'the backend is stopping; reconnecting when it is back' });
    }
  }

  private set(patch: Partial<LiveState>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener(this.state);
  }
}

export function useLive(live: Live): LiveState {
  const [state, setState] = useState(live.current);
  useEffect(() => live.subscribe(setState), [live]);
  return state;
}
