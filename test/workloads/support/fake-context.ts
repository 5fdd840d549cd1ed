/**
 * A WorkloadContext without a worker: in-memory services over generated bars,
 * a recording progress/unitDone, and an AbortController the test drives. The
 * checkpoint state goes through JSON as it does on its way to the backend.
 */
import { readFileSync } from 'node:fs';
import type { ModelArtifact, Progress } from '../../../src/api/contract.js';
import type { ContextSeries } from '../../../src/market-data/context.js';
import { parseIsoUtc } from '../../../src/market-data/dates.js';
import { generateBars } from '../../../src/market-data/generate.js';
import { sliceByTime, type BarSeries } from '../../../src/market-data/types.js';
import type { BarsRequest, ProgressUpdate, ResumePoint, WorkloadContext, WorkloadServices } from '../../../src/workloads/types.js';

export const STRATEGY_YAML = readFileSync(new URL('../../../strategies/macd_roc_trend.yaml', import.meta.url), 'utf8');

/** ~4 months of hourly EURUSD: enough rows for three sets after the warm-up and the lookahead. */
export const BARS = generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 3_000, seed: 7, start: '2023-01-02T00:00:00Z' });

export class MemoryServices implements WorkloadServices {
  readonly saved: ModelArtifact[] = [];
  readonly barRequests: BarsRequest[] = [];
  constructor(
    private readonly series: BarSeries = BARS,
    private readonly models: ModelArtifact[] = [],
  ) {}

  bars(request: BarsRequest): Promise<BarSeries> {
    this.barRequests.push(request);
    const ms = (text: string | undefined) => (text === undefined ? undefined : (parseIsoUtc(text) ?? Number.NaN));
    return Promise.resolve(sliceByTime(this.series, ms(request.startDate), ms(request.endDate)));
  }

  contextSeries(provider: string, series: string): Promise<ContextSeries> {
    return Promise.reject(new Error(`no context series ${provider}/${series} here`));
  }

  model(modelId: string): Promise<ModelArtifact> {
    const found = [...this.models, ...this.saved].find((model) => model.model_id === modelId);
    return found ? Promise.resolve(structuredClone(found)) : Promise.reject(new Error(`model '${modelId}' not found`));
  }

  saveModel(artifact: ModelArtifact): Promise<void> {
    this.saved.push(JSON.parse(JSON.stringify(artifact)) as ModelArtifact);
    return Promise.resolve();
  }
}

export interface UnitRecord {
  readonly units: number;
  /** The state getState built, through JSON (what a checkpoint stores). */
  readonly state: unknown;
}

export interface FakeContext<P> extends WorkloadContext<P> {
  readonly controller: AbortController;
  readonly updates: ProgressUpdate[];
  readonly units: UnitRecord[];
  /** The snapshot all updates merge into. */
  readonly snapshot: Partial<Progress>;
}

export interface FakeContextOptions {
  readonly resumeFrom?: ResumePoint | null;
  readonly services?: WorkloadServices;
  /** Called after unitDone recorded `units` (with the state captured): abort here to stop a run. */
  readonly onUnit?: (units: number, controller: AbortController) => void;
  readonly operationId?: string;
}

export function fakeContext<P>(params: P, options: FakeContextOptions = {}): FakeContext<P> {
  const controller = new AbortController();
  const updates: ProgressUpdate[] = [];
  const units: UnitRecord[] = [];
  const snapshot: Partial<Progress> = {};
  return {
    operationId: options.operationId ?? 'op_test_0000000000000001',
    params,
    resumeFrom: options.resumeFrom ?? null,
    signal: controller.signal,
    controller,
    updates,
    units,
    snapshot,
    services: options.services ?? new MemoryServices(),
    progress(update) {
      updates.push(structuredClone(update));
      Object.assign(snapshot, update);
    },
    unitDone(count, getState) {
      units.push({ units: count, state: JSON.parse(JSON.stringify(getState())) as unknown });
      options.onUnit?.(count, controller);
      return Promise.resolve();
    },
  };
}
