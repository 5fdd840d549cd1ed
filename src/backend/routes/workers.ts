/** The worker registry over HTTP: registration, listing, heartbeat look-ups, deregistration. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CompletedOperationReport, ListWorkersQuery, RegisterWorkerBody, WorkerRecord } from '../../api/contract.js';
import { SUBMISSION_BODY_LIMIT_BYTES } from '../../http/body-limits.js';
import type { Logger } from '../../logging/logger.js';
import type { BackendAppDeps } from '../app-deps.js';
import { renderedRecordSerializer, renderWorker } from '../render.js';
import { IdParams } from './params.js';

const tags = ['workers'];

export function workerRoutes(app: FastifyInstance, deps: BackendAppDeps): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const { registry } = deps;

  routes.post(
    '/workers/register',
    { bodyLimit: SUBMISSION_BODY_LIMIT_BYTES, config: { roles: ['worker'], actsFor: 'body.worker_id' }, serializerCompiler: renderedRecordSerializer, schema: { tags, summary: 'Register (or re-register) a worker; idempotent; a live worker id is never moved to another endpoint (409)', body: RegisterWorkerBody, response: { 200: WorkerRecord } } },
    async (request) => {
      const body = request.body;
      const row = await registry.register({
        workerId: body.worker_id,
        workerType: body.worker_type,
        endpointUrl: body.endpoint_url,
        capabilities: body.capabilities,
        metadata: body.metadata,
        currentOperationId: body.current_operation_id ?? null,
        completedOperations: validReports(body.worker_id, body.completed_operations ?? [], deps.logger),
      });
      deps.logger.info({ worker_id: row.workerId, worker_type: row.workerType, endpoint_url: row.endpointUrl }, 'worker registered');
      return renderWorker(row);
    },
  );

  routes.get(
    '/workers',
    { config: { roles: ['cli'] }, schema: { tags, summary: 'List workers', querystring: ListWorkersQuery, response: { 200: z.array(WorkerRecord) } } },
    async (request) => (await registry.list({ workerType: request.query.worker_type, status: request.query.status })).map(renderWorker),
  );

  routes.get(
    '/workers/:id',
    { config: { roles: ['cli', 'worker'], actsFor: 'params.id' }, serializerCompiler: renderedRecordSerializer, schema: { tags, summary: 'One worker (404 tells a worker to re-register)', params: IdParams, response: { 200: WorkerRecord } } },
    async (request) => renderWorker(await registry.require(request.params.id)),
  );

  routes.delete(
    '/workers/:id',
    { config: { roles: ['worker'], actsFor: 'params.id' }, schema: { tags, summary: 'Deregister a worker (the worker itself)', params: IdParams, response: { 200: z.object({ success: z.literal(true), worker_id: z.string() }) } } },
    async (request) => {
      await registry.require(request.params.id);
      await registry.remove(request.params.id);
      deps.logger.info({ worker_id: request.params.id }, 'worker deregistered');
      return { success: true as const, worker_id: request.params.id };
    },
  );
}

/**
 * The completed_operations entries that are valid reports. A malformed one is logged and skipped rather than
 * failing the registration: the worker reports the same entry at every attempt, so a 400 would lock it out for good.
 */
function validReports(workerId: string, entries: readonly unknown[], logger: Logger): CompletedOperationReport[] {
  const reports: CompletedOperationReport[] = [];
  entries.forEach((entry, index) => {
    const parsed = CompletedOperationReport.safeParse(entry);
    if (parsed.success) {
      reports.push(parsed.data);
      return;
    }
    const issues = parsed.error.issues.map((issue) => `body.completed_operations.${[index, ...issue.path].join('.')}: ${issue.message}`);
    const operationId = (entry as { operation_id?: unknown } | null)?.operation_id;
    logger.warn(
      { worker_id: workerId, operation_id: typeof operationId === 'string' ? operationId : undefined, issues },
      `skipped a malformed completed-operation report from worker '${workerId}': ${issues.join('; ')}`,
    );
  });
  return reports;
}
