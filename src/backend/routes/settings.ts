/**
 * GET /api/v1/config: the backend's own settings as `ktrdr config show --json` prints them (value, source, default,
 * description), secrets redacted, with the warnings, for the dashboard's Configuration page. Server directories are
 * shown as the label of the setting that names them, like in every other answer (docs/architecture.md §2).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { KtrdrError } from '../../common/errors.js';
import { pathScrubber } from '../../http/private-paths.js';
import type { BackendAppDeps } from '../app-deps.js';

export const SettingsReportResponse = z.object({
  env: z.string(),
  role: z.string(),
  settings: z.array(
    z.object({
      group: z.string(),
      field: z.string(),
      env: z.string(),
      deprecated_env: z.array(z.string()),
      type: z.string(),
      value: z.unknown(),
      default: z.unknown(),
      source: z.enum(['env', 'env-file', 'default']),
      source_name: z.string().nullable(),
      source_file: z.string().nullable(),
      secret: z.boolean(),
      description: z.string(),
    }),
  ),
  warnings: z.array(z.string()),
  errors: z.array(z.object({ env: z.string(), source_name: z.string(), value: z.string().nullable(), message: z.string() })),
});
export type SettingsReportResponse = z.infer<typeof SettingsReportResponse>;

export function settingsRoutes(app: FastifyInstance, deps: BackendAppDeps): void {
  const scrub = pathScrubber(deps.privatePaths);
  app.withTypeProvider<ZodTypeProvider>().get(
    '/config',
    {
      config: { roles: ['cli'] },
      schema: { tags: ['config'], summary: "The backend's settings with their sources, secrets redacted, and warnings", response: { 200: SettingsReportResponse } },
    },
    async () => {
      if (!deps.settingsReport) {
        throw new KtrdrError('NOT_FOUND', 'this backend has no settings report: it was built from plain options, not started by `ktrdr backend`');
      }
      return JSON.parse(scrub(JSON.stringify(deps.settingsReport()))) as SettingsReportResponse;
    },
  );
}
