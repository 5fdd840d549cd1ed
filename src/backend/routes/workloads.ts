/** Submitting real work: POST /trainings/start and POST /backtests/start. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { BacktestStartBody, StartOperationResponse, TrainingStartBody } from '../../api/contract.js';
import { SUBMISSION_BODY_LIMIT_BYTES } from '../../http/body-limits.js';
import type { OperationRow } from '../../store/types.js';
import type { BackendAppDeps } from '../app-deps.js';

const started = (row: OperationRow) => ({
  success: true as const,
  operation_id: row.operationId,
  status: row.status === 'running' ? ('running' as const) : ('pending' as const),
});

export function workloadRoutes(app: FastifyInstance, deps: BackendAppDeps): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.post(
    '/trainings/start',
    {
      bodyLimit: SUBMISSION_BODY_LIMIT_BYTES,
      config: { roles: ['cli'] },
      schema: {
        tags: ['training'],
        summary: 'Train a strategy: validates the strategy and the data first, then queues a training operation',
        body: TrainingStartBody,
        response: { 200: StartOperationResponse },
      },
    },
    async (request) => started(await deps.submissions.startTraining(request.body)),
  );
  routes.post(
    '/backtests/start',
    {
      config: { roles: ['cli'] },
      schema: {
        tags: ['backtesting'],
        summary: "Backtest a trained model (by default on its held-out test period)",
        body: BacktestStartBody,
        response: { 200: StartOperationResponse },
      },
    },
    async (request) => started(await deps.submissions.startBacktest(request.body)),
  );
}
