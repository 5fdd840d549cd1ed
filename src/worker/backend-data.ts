/**
 * The workloads' view of the backend: bars to compute on, models to load, and
 * the place trained models go. Workers keep no data of their own (docs/architecture.md §1).
 */
import { BarsResponse, ContextSeriesResponse, ModelArtifact } from '../api/contract.js';
import type { HttpClient, RetryPolicy } from '../client/http.js';
import type { ContextFileProvider, ContextSeries } from '../market-data/context.js';
import type { BarSeries } from '../market-data/types.js';
import type { BarsRequest, WorkloadServices } from '../workloads/types.js';

/** Where trained models go: the backend link, which holds them in its outbox while the backend is away. */
export interface ModelSink {
  deliverModel(artifact: ModelArtifact): Promise<unknown>;
}

export class BackendData implements WorkloadServices {
  constructor(
    private readonly http: HttpClient,
    private readonly retry: RetryPolicy,
    private readonly models: ModelSink,
  ) {}

  async bars(request: BarsRequest): Promise<BarSeries> {
    const path = `/data/${encodeURIComponent(request.symbol)}/${encodeURIComponent(request.timeframe)}`;
    const body = await this.http.request('GET', path, BarsResponse, {
      query: { start_date: request.startDate, end_date: request.endDate },
      retry: this.retry,
    });
    return {
      symbol: body.symbol,
      timeframe: body.timeframe,
      time: Float64Array.from(body.time),
      open: Float64Array.from(body.open),
      high: Float64Array.from(body.high),
      low: Float64Array.from(body.low),
      close: Float64Array.from(body.close),
      volume: Float64Array.from(body.volume),
    };
  }

  async contextSeries(provider: ContextFileProvider, series: string): Promise<ContextSeries> {
    const path = `/data/context/${encodeURIComponent(provider)}/${encodeURIComponent(series)}`;
    const body = await this.http.request('GET', path, ContextSeriesResponse, { retry: this.retry });
    return { provider: body.provider, series: body.series, time: Float64Array.from(body.time), value: Float64Array.from(body.value) };
  }

  model(modelId: string): Promise<ModelArtifact> {
    return this.http.request('GET', `/models/${encodeURIComponent(modelId)}`, ModelArtifact, { retry: this.retry });
  }

  /** Resolves once the backend has the model or the outbox holds it for later; rejects when the backend refuses it. */
  async saveModel(artifact: ModelArtifact): Promise<void> {
    await this.models.deliverModel(artifact);
  }
}

/** For workers built without a backend (tests of workloads that need none). */
export const NO_SERVICES: WorkloadServices = {
  bars: () => Promise.reject(new Error('no backend: bars are not available here')),
  contextSeries: () => Promise.reject(new Error('no backend: context series are not available here')),
  model: () => Promise.reject(new Error('no backend: models are not available here')),
  saveModel: () => Promise.reject(new Error('no backend: models cannot be saved here')),
};

