/** Market data and models as the workers and the CLI read them (the backend alone reads the directories). */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { acceptsColumns, COLUMNS_MEDIA_TYPE, encodeColumns } from '../../api/columns.js';
import { BarsQuery, BarsResponse, ContextSeriesResponse, DataSetSummary, ModelArtifact, ModelCreated, ModelDeleted, ModelSummary, Timeframe } from '../../api/contract.js';
import { conflict } from '../../common/errors.js';
import { requireClaims } from '../../http/access-control.js';
import { CONTEXT_FILE_PROVIDERS } from '../../market-data/context.js';
import type { BackendAppDeps } from '../app-deps.js';
import { ModelIdParams } from './params.js';

const SeriesParams = z.object({ symbol: z.string().min(1).max(32), timeframe: Timeframe });
const ContextParams = z.object({ provider: z.enum(CONTEXT_FILE_PROVIDERS), series: z.string().min(1).max(32) });

/**
 * Sends columns as the binary frame of src/api/columns.ts (docs/architecture.md §4): no
 * JSON to build, validate or parse. `Vary: Accept` because the same URL has two bodies.
 */
function sendColumns(reply: FastifyReply, meta: Record<string, unknown>, columns: Record<string, Float64Array>): FastifyReply {
  return reply.header('vary', 'accept').type(COLUMNS_MEDIA_TYPE).send(encodeColumns(meta, columns));
}

const BINARY_NOTE = `; with \`Accept: ${COLUMNS_MEDIA_TYPE}\` the same columns as float64 arrays (docs/architecture.md §4)`;

export function dataRoutes(app: FastifyInstance, deps: BackendAppDeps): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get(
    '/data',
    { config: { roles: ['cli'] }, schema: { tags: ['data'], summary: 'The market data available (one entry per <SYMBOL>_<TIMEFRAME>.csv)', response: { 200: z.array(DataSetSummary) } } },
    async () => (await deps.marketData.list()).map(({ symbol, timeframe, bars, start, end }) => ({ symbol, timeframe, bars, start, end })),
  );

  routes.get(
    '/data/:symbol/:timeframe',
    {
      config: { roles: ['cli', 'worker'] },
      schema: {
        tags: ['data'],
        summary: `Bars of one series as columns, within [start_date, end_date)${BINARY_NOTE}`,
        params: SeriesParams,
        querystring: BarsQuery,
        response: { 200: BarsResponse },
      },
    },
    async (request, reply) => {
      const { symbol, timeframe } = request.params;
      const bars = await deps.marketData.load(symbol, timeframe, { start: request.query.start_date, end: request.query.end_date });
      if (acceptsColumns(request.headers.accept)) {
        const { time, open, high, low, close, volume } = bars;
        return sendColumns(reply, { symbol: bars.symbol, timeframe: bars.timeframe }, { time, open, high, low, close, volume });
      }
      void reply.header('vary', 'accept');
      return {
        symbol: bars.symbol,
        timeframe: bars.timeframe,
        time: Array.from(bars.time),
        open: Array.from(bars.open),
        high: Array.from(bars.high),
        low: Array.from(bars.low),
        close: Array.from(bars.close),
        volume: Array.from(bars.volume),
      };
    },
  );

  routes.get(
    '/data/context/:provider/:series',
    {
      config: { roles: ['cli', 'worker'] },
      schema: {
        tags: ['data'],
        summary: `One context series (KTRDR_DATA_DIR/context/<provider>/<SERIES>.csv, date,value) as columns; 404 names the file, its format and the command that writes it${BINARY_NOTE}`,
        params: ContextParams,
        response: { 200: ContextSeriesResponse },
      },
    },
    async (request, reply) => {
      const series = await deps.marketData.loadContext(request.params.provider, request.params.series);
      if (acceptsColumns(request.headers.accept)) {
        return sendColumns(reply, { provider: series.provider, series: series.series }, { time: series.time, value: series.value });
      }
      void reply.header('vary', 'accept');
      return { provider: series.provider, series: series.series, time: Array.from(series.time), value: Array.from(series.value) };
    },
  );

  routes.get(
    '/models',
    { config: { roles: ['cli'] }, schema: { tags: ['models'], summary: 'Trained models, newest first (without their weights)', response: { 200: z.array(ModelSummary) } } },
    async () => deps.models.list(),
  );

  routes.get(
    '/models/:id',
    { config: { roles: ['cli', 'worker'] }, schema: { tags: ['models'], summary: 'One model: metadata and the artifact (weights, feature specification)', params: ModelIdParams, response: { 200: ModelArtifact } } },
    async (request) => deps.models.get(request.params.id),
  );

  routes.delete(
    '/models/:id',
    {
      config: { roles: ['cli'] },
      schema: { tags: ['models'], summary: 'Delete a model (409 while a pending or running backtest uses it)', params: ModelIdParams, response: { 200: ModelDeleted } },
    },
    async (request) => {
      const modelId = request.params.id;
      await deps.models.get(modelId);
      const users = await deps.operations.activeBacktestsOf(modelId);
      if (users.length > 0) {
        throw conflict(`model '${modelId}' is used by ${users.length} active backtest(s) (${users.join(', ')}); cancel them or wait for them to end, then delete it`);
      }
      await deps.models.remove(modelId);
      deps.logger.info({ model_id: modelId }, 'model deleted on request');
      return { success: true as const, model_id: modelId };
    },
  );

  routes.post(
    '/models',
    {
      bodyLimit: deps.uploadLimitBytes,
      config: { roles: ['worker'] },
      schema: {
        tags: ['models'],
        summary: 'Upload a trained model (the worker its training operation is assigned to); a model id is never overwritten (409)',
        body: ModelArtifact,
        response: { 200: ModelCreated },
      },
    },
    async (request) => {
      await deps.operations.requireAssignedTo(request.body.operation_id, requireClaims(request).subject, `model '${request.body.model_id}'`);
      await deps.models.save(request.body);
      deps.logger.info({ model_id: request.body.model_id }, 'model saved');
      return { success: true as const, model_id: request.body.model_id };
    },
  );
}
