/**
 * The workloads' `BarsSource`: bars through the worker's services (the
 * backend's `/data` routes), a missing series being null rather than an error
 * so that a missing higher timeframe can be resampled (strategy/market-inputs.ts).
 */
import type { ContextSeriesSource } from '../strategy/context.js';
import { isMissingSeries, type BarsSource } from '../strategy/market-inputs.js';
import type { WorkloadServices } from './types.js';

export function servicesBarsSource(services: WorkloadServices): BarsSource {
  return {
    async load(symbol, timeframe, range) {
      try {
        return await services.bars({ symbol, timeframe, ...(range.start !== undefined && { startDate: range.start }), ...(range.end !== undefined && { endDate: range.end }) });
      } catch (error) {
        if (isMissingSeries(error)) return null;
        throw error;
      }
    },
  };
}

/** The workloads' `ContextSeriesSource`: the backend's `/data/context` route (its 404 names the file and the command). */
export function servicesContextSource(services: WorkloadServices): ContextSeriesSource {
  return { load: (provider, series) => services.contextSeries(provider, series) };
}
