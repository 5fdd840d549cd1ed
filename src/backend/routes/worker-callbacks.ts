/**
 * Routes workers call about the operations they run: checkpoints, terminal outcomes, hand-backs. Only worker tokens,
 * each acting for itself (body.worker_id is the token's subject); the service then accepts each only from the
 * worker the operation is assigned to.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { CheckpointCreated, CheckpointUpload, OperationOutcome, OperationRelease, OutcomeAnswer } from '../../api/contract.js';
import type { BackendAppDeps } from '../app-deps.js';
import { IdParams, Success } from './params.js';

const tags = ['worker callbacks'];
const config = { roles: ['worker'], actsFor: 'body.worker_id' } as const;

export function workerCallbackRoutes(app: FastifyInstance, deps: BackendAppDeps): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const { operations } = deps;

  routes.post(
    '/operations/:id/checkpoints',
    { bodyLimit: deps.uploadLimitBytes, config, schema: { tags, summary: 'Upload a checkpoint of a running operation', params: IdParams, body: CheckpointUpload, response: { 200: CheckpointCreated } } },
    async (request) => {
      const { worker_id, units, state, reason } = request.body;
      const row = await operations.addCheckpoint(request.params.id, worker_id, { units, state, reason });
      return { success: true as const, checkpoint_id: row.checkpointId };
    },
  );

  routes.post(
    '/operations/:id/outcome',
    {
      bodyLimit: deps.uploadLimitBytes,
      config,
      schema: {
        tags,
        summary: 'Push the terminal outcome (idempotent); with take_next, the answer may carry the next operation to run',
        params: IdParams,
        body: OperationOutcome,
        response: { 200: OutcomeAnswer },
      },
    },
    async (request) => {
      const next = await operations.recordOutcome(request.params.id, request.body);
      return next ? { success: true as const, next } : { success: true as const };
    },
  );

  routes.post(
    '/operations/:id/release',
    { config, schema: { tags, summary: 'Hand a running operation back (stopping worker); it becomes pending again', params: IdParams, body: OperationRelease, response: { 200: Success } } },
    async (request) => {
      await operations.release(request.params.id, request.body);
      return { success: true as const };
    },
  );
}
