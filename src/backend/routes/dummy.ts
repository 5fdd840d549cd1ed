/** POST /dummy/start: the infrastructure operation that exercises the machinery without market data. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { DummyStartBody, StartOperationResponse } from '../../api/contract.js';
import type { BackendAppDeps } from '../app-deps.js';

export function dummyRoutes(app: FastifyInstance, deps: BackendAppDeps): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/dummy/start',
    { config: { roles: ['cli'] }, schema: { tags: ['dummy'], summary: 'Start a dummy operation (N steps with a delay)', body: DummyStartBody, response: { 200: StartOperationResponse } } },
    async (request) => {
      const row = await deps.operations.submit({ operationType: 'dummy', workerType: request.body.worker_type, params: { ...request.body } });
      return { success: true as const, operation_id: row.operationId, status: row.status === 'running' ? ('running' as const) : ('pending' as const) };
    },
  );
}
