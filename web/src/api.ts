/**
 * The page's only way to the backend: every call carries the operator's bearer token (kept in sessionStorage for
 * this tab only). A 401 clears the token and sends the operator to the sign-in screen instead of looping.
 */
import type { OperationRecord, WorkerRecord } from '../../src/api/contract.js';
import { DashboardEvent } from '../../src/api/events.js';

const TOKEN_KEY = 'ktrdr.token';

export interface ApiErrorBody {
  readonly code: string;
  readonly message: string;
  readonly issues: readonly string[];
}

/** An answer other than 2xx, with the backend's typed error (code, message, per-field issues). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(`${status} ${body.code}: ${body.message}`);
  }

  /** The issues naming `body.<field>` (what the form shows beside that field), by field. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    const lines = this.body.issues.length > 0 ? this.body.issues : [this.body.message];
    for (const line of lines) {
      const match = /^body\.([A-Za-z_]+)[.:]?\s*(.*)$/.exec(line);
      if (match?.[1]) out[match[1]] = out[match[1]] ? `${out[match[1]]}; ${match[2]}` : (match[2] ?? line);
    }
    return out;
  }
}

export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** Takes `#token=…` from the URL (what `ktrdr dashboard` prints) into session storage, and removes it from the URL. */
export function adoptTokenFromFragment(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match?.[1]) return;
  tokenStore.set(decodeURIComponent(match[1]));
  history.replaceState(null, '', `${location.pathname}#/fleet`);
}

export type Unauthorized = () => void;

export class Api {
  constructor(private readonly onUnauthorized: Unauthorized) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const token = tokenStore.get();
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`/api/v1${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string; details?: { issues?: string[] } } } | null)?.error;
      const apiError = new ApiError(response.status, {
        code: error?.code ?? `HTTP_${response.status}`,
        message: error?.message ?? (text.slice(0, 300) || response.statusText),
        issues: error?.details?.issues ?? [],
      });
      if (response.status === 401) {
        tokenStore.clear();
        this.onUnauthorized();
      }
      throw apiError;
    }
    return json as T;
  }

  get = <T>(path: string) => this.request<T>('GET', path);
  post = <T>(path: string, body: unknown) => this.request<T>('POST', path, body);
  delete = <T>(path: string) => this.request<T>('DELETE', path);

  workers = () => this.get<WorkerRecord[]>('/workers');
  operations = (limit = 200) => this.get<{ data: OperationRecord[] }>(`/operations?limit=${limit}`).then((r) => r.data);
  operation = (id: string) => this.get<{ data: OperationRecord }>(`/operations/${encodeURIComponent(id)}`).then((r) => r.data);
  results = (id: string) =>
    this.get<{ data: { result_summary: Record<string, unknown> | null; results: unknown } }>(`/operations/${encodeURIComponent(id)}/results`).then((r) => r.data);
  cancel = (id: string) => this.delete<unknown>(`/operations/${encodeURIComponent(id)}`);
  resume = (id: string) => this.post<unknown>(`/operations/${encodeURIComponent(id)}/resume`, {});
}

/** Three missed heartbeats (the backend sends one every 15 s of quiet). */
const SILENCE_MS = 45_000;

export interface EventStreamHandlers {
  readonly onEvent: (event: DashboardEvent) => void;
  /** The stream is up and its baseline taken: re-read the lists now, every later change arrives as an event. */
  readonly onReady: () => void;
  readonly onDown: (reason: string) => void;
}

/**
 * Follows GET /api/v1/events with fetch (EventSource cannot send the Authorization header, and a token in the URL
 * would land in logs), reconnecting with back-off until stopped. Returns the stop function.
 */
export function followEvents(onUnauthorized: Unauthorized, handlers: EventStreamHandlers): () => void {
  let stopped = false;
  let delay = 1_000;
  let controller: AbortController | null = null;
  let wake: (() => void) | null = null;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const once = async (): Promise<void> => {
    const token = tokenStore.get();
    if (!token) throw new Error('not signed in');
    controller = new AbortController();
    const response = await fetch('/api/v1/events', { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: controller.signal });
    if (response.status === 401) {
      tokenStore.clear();
      onUnauthorized();
      stopped = true;
      return;
    }
    if (!response.ok || !response.body) throw new Error(`events: HTTP ${response.status}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    // The backend sends a heartbeat on a quiet stream: silence for much longer means the connection is dead.
    let watchdog = setTimeout(() => controller?.abort(), SILENCE_MS);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new Error('the backend closed the event stream');
        clearTimeout(watchdog);
        watchdog = setTimeout(() => controller?.abort(), SILENCE_MS);
        buffer += value;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (block.split('\n').includes(': ready')) {
          delay = 1_000;
          handlers.onReady();
        }
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data: '))
          .map((line) => line.slice(6))
          .join('\n');
        if (!data) continue;
        const parsed = DashboardEvent.safeParse(JSON.parse(data));
        if (parsed.success) handlers.onEvent(parsed.data);
      }
      }
    } finally {
      clearTimeout(watchdog);
    }
  };

  void (async () => {
    while (!stopped) {
      try {
        await once();
      } catch (error) {
        if (stopped) return;
        handlers.onDown(error instanceof Error ? error.message : String(error));
      }
      if (stopped) return;
      await pause(delay);
      delay = Math.min(delay * 2, 15_000);
    }
  })();

  return () => {
    stopped = true;
    controller?.abort();
    (wake as (() => void) | null)?.();
  };
}
