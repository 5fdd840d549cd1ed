/**
 * The workloads' view of the backend: bars to compute on, models to load, and
 * the place trained models go. Workers keep no data of their own (docs/architecture.md §1).
 */
import { COLUMNS_MEDIA_TYPE, ColumnsFormatError, decodeColumns, type DecodedColumns } from '../api/columns.js';
import type { ModelArtifact } from '../api/contract.js';
import type { HttpClient, RetryPolicy } from '../client/http.js';
import type { ContextFileProvider, ContextSeries } from '../market-data/context.js';
import { Timeframe, type BarSeries } from '../market-data/types.js';
import type { BarsRequest, WorkloadServices } from '../workloads/types.js';

/**
 * The whole contract, for the schemas of bars, context series and models: imported when an operation first asks for
 * them (then cached by the module loader), so that a worker registers having built only the worker's part of the
 * contract (src/api/worker-contract.ts, docs/architecture.md §1.1).
 */
const contract = () => import('../api/contract.js');

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

  /**
   * Bars in the binary columns format (docs/architecture.md §4): the columns are views on the
   * response's bytes, nothing is parsed. A backend that answers JSON (an older one) still works.
   */
  async bars(request: BarsRequest): Promise<BarSeries> {
    const path = `/data/${encodeURIComponent(request.symbol)}/${encodeURIComponent(request.timeframe)}`;
    const { BarsResponse } = await contract();
    const body = await this.http.negotiate('GET', path, COLUMNS_MEDIA_TYPE, BarsResponse, {
      query: { start_date: request.startDate, end_date: request.endDate },
      retry: this.retry,
    });
    if ('binary' in body) {
      const frame = decodeColumns(body.binary);
      const timeframe = Timeframe.safeParse(frame.meta.timeframe);
      if (typeof frame.meta.symbol !== 'string' || !timeframe.success) throw new ColumnsFormatError(`GET ${path}: the header names no symbol and timeframe`);
      return { symbol: frame.meta.symbol, timeframe: timeframe.data, ...columnsOf(frame, path, ['time', 'open', 'high', 'low', 'close', 'volume']) };
    }
    const { json } = body;
    return {
      symbol: json.symbol,
      timeframe: json.timeframe,
      time: Float64Array.from(json.time),
      open: Float64Array.from(json.open),
      high: Float64Array.from(json.high),
      low: Float64Array.from(json.low),
      close: Float64Array.from(json.close),
      volume: Float64Array.from(json.volume),
    };
  }

  async contextSeries(provider: ContextFileProvider, series: string): Promise<ContextSeries> {
    const path = `/data/context/${encodeURIComponent(provider)}/${encodeURIComponent(series)}`;
    const { ContextSeriesResponse } = await contract();
    const body = await this.http.negotiate('GET', path, COLUMNS_MEDIA_TYPE, ContextSeriesResponse, { retry: this.retry });
    if ('binary' in body) {
      return { provider, series, ...columnsOf(decodeColumns(body.binary), path, ['time', 'value']) };
    }
    const { json } = body;
    return { provider: json.provider, series: json.series, time: Float64Array.from(json.time), value: Float64Array.from(json.value) };
  }

  async model(modelId: string): Promise<ModelArtifact> {
    const { ModelArtifact } = await contract();
    return this.http.request('GET', `/models/${encodeURIComponent(modelId)}`, ModelArtifact, { retry: this.retry });
  }

  /** Resolves once the backend has the model or the outbox holds it for later; rejects when the backend refuses it. */
  async saveModel(artifact: ModelArtifact): Promise<void> {
    await this.models.deliverModel(artifact);
  }
}

/** The named columns of a frame, in that order; a missing one is a format error naming the route. */
function columnsOf<N extends string>(frame: DecodedColumns, path: string, names: readonly N[]): Record<N, Float64Array> {
  const columns = {} as Record<N, Float64Array>;
  for (const name of names) {
    const column = frame.columns[name];
    if (column === undefined) throw new ColumnsFormatError(`GET ${path}: no '${name}' column (got ${Object.keys(frame.columns).join(', ')})`);
    columns[name] = column;
  }
  return columns;
}

/** For workers built without a backend (tests of workloads that need none). */
export const NO_SERVICES: WorkloadServices = {
  bars: () => Promise.reject(new Error('no backend: bars are not available here')),
  contextSeries: () => Promise.reject(new Error('no backend: context series are not available here')),
  model: () => Promise.reject(new Error('no backend: models are not available here')),
  saveModel: () => Promise.reject(new Error('no backend: models cannot be saved here')),
};

