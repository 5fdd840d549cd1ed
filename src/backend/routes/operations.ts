/** Operations as users see them: list, show (with fresh progress), cancel, resume, results. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  CheckpointsDeleted,
  CheckpointsResponse,
  GetOperationResponse,
  ListOperationsQuery,
  ListOperationsResponse,
  OperationResultsResponse,
  PruneOperationsBody,
  PruneOperationsResponse,
} from '../../api/contract.js';
import type { BackendAppDeps } from '../app-deps.js';
import { renderOperation } from '../render.js';
import { CheckpointParams, IdParams } from './params.js';

const tags = ['operations'];
/** Operations are the CLI's: workers act on theirs through the worker-callback routes only. */
const config = { roles: ['cli'] } as const;

export function operationRoutes(app: FastifyInstance, deps: BackendAppDeps): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const { operations } = deps;

  routes.get(
    '/operations',
    { config, schema: { tags, summary: 'List operations, newest first', querystring: ListOperationsQuery, response: { 200: ListOperationsResponse } } },
    async (request) => {
      const { status, operation_type, limit } = request.query;
      const list = await operations.list({ status, operationType: operation_type, limit });
      return { success: true as const, data: list.rows.map(renderOperation), total_count: list.total, active_count: list.activeCount };
    },
  );

  routes.post(
    '/operations/prune',
    {
      config,
      schema: {
        tags,
        summary: 'Delete ended operations (with their checkpoints and results) that ended more than older_than_seconds ago, optionally of one status',
        body: PruneOperationsBody,
        response: { 200: PruneOperationsResponse },
      },
    },
    async (request) => {
      const { older_than_seconds: olderThan, status } = request.body;
      return { success: true as const, deleted: await operations.prune(olderThan * 1000, status === undefined ? undefined : [status]) };
    },
  );

  routes.get(
    '/operations/:id',
    { config, schema: { tags, summary: 'One operation, with progress at most KTRDR_OPS_CACHE_TTL old', params: IdParams, response: { 200: GetOperationResponse } } },
    async (request) => ({ success: true as const, data: renderOperation(await operations.get(request.params.id)) }),
  );

  routes.delete(
    '/operations/:id',
    { config, schema: { tags, summary: 'Cancel a pending or running operation', params: IdParams, response: { 200: GetOperationResponse } } },
    async (request) => ({ success: true as const, data: renderOperation(await operations.cancel(request.params.id)) }),
  );

  routes.post(
    '/operations/:id/resume',
    { config, schema: { tags, summary: 'Resume a failed or cancelled operation from its latest checkpoint', params: IdParams, response: { 200: GetOperationResponse } } },
    async (request) => ({ success: true as const, data: renderOperation(await operations.resume(request.params.id)) }),
  );

  routes.get(
    '/operations/:id/checkpoints',
    { config, schema: { tags, summary: "Checkpoints of an operation, oldest first (a completed operation's are removed)", params: IdParams, response: { 200: CheckpointsResponse } } },
    async (request) => ({
      success: true as const,
      data: (await operations.checkpoints(request.params.id)).map((row) => ({
        checkpoint_id: row.checkpointId,
        units: row.units,
        reason: row.reason,
        size_bytes: row.sizeBytes,
        created_at: row.createdAt.toISOString(),
      })),
    }),
  );

  routes.delete(
    '/operations/:id/checkpoints',
    { config, schema: { tags, summary: 'Delete every checkpoint of an operation (a resume then starts from zero)', params: IdParams, response: { 200: CheckpointsDeleted } } },
    async (request) => ({ success: true as const, deleted: await operations.removeCheckpoints(request.params.id) }),
  );

  routes.delete(
    '/operations/:id/checkpoints/:checkpoint_id',
    {
      config,
      schema: {
        tags,
        summary: 'Delete one checkpoint of an operation (e.g. one whose state the workload cannot use: a resume then takes the newest other one)',
        params: CheckpointParams,
        response: { 200: CheckpointsDeleted },
      },
    },
    async (request) => ({ success: true as const, deleted: await operations.removeCheckpoints(request.params.id, request.params.checkpoint_id) }),
  );

  routes.get(
    '/operations/:id/results',
    { config, schema: { tags, summary: 'Results of an operation', params: IdParams, response: { 200: OperationResultsResponse } } },
    async (request) => {
      const { row, results } = await operations.results(request.params.id);
      return {
        success: true as const,
        data: { operation_id: row.operationId, status: row.status, result_summary: row.resultSummary, results: results ?? null },
      };
    },
  );
}
