/**
 * `ktrdr backend`: check the settings, open the store (migrations applied),
 * build the backend, listen on KTRDR_API_HOST:KTRDR_API_PORT, serve until
 * SIGINT/SIGTERM, then stop cleanly. Returns the process exit code.
 */
import {
  getApiSettings,
  getAuthSettings,
  getCheckpointSettings,
  getDataSettings,
  getDatabaseSettings,
  getHttpSettings,
  getLoggingSettings,
  getOperationsSettings,
  getOrphanDetectorSettings,
  getObservabilitySettings,
  getWorkerSettings,
  checkSettingsAtStartup,
  inspectSettings,
} from '../config/settings.js';
import { buildReport } from '../config/report.js';
import { logFormatOf, secondsToMs as seconds } from '../config/derived.js';
import { shutdownSignal } from '../common/shutdown.js';
import { packageVersion } from '../common/version.js';
import { megabytes } from '../http/body-limits.js';
import { createLogger } from '../logging/logger.js';
import { hostname } from 'node:os';
import { openLockSession } from '../store/advisory-lock.js';
import { openStore } from '../store/index.js';
import { createTelemetry } from '../telemetry/create.js';
import { Backend } from './backend.js';

export async function runBackend(): Promise<number> {
  if (!checkSettingsAtStartup('backend')) return 1; // before any port is bound

  const logging = getLoggingSettings();
  const logger = createLogger({ level: logging.level, format: logFormatOf(logging), name: 'backend' });
  const [api, auth, worker, checkpoint, orphans, ops, data] = [
    getApiSettings(), getAuthSettings(), getWorkerSettings(), getCheckpointSettings(), getOrphanDetectorSettings(), getOperationsSettings(),
    getDataSettings(),
  ];
  const telemetry = await createTelemetry(getObservabilitySettings(), { role: 'backend', version: packageVersion() }, (message) => logger.warn(message));
  const store = await openStore({ ...getDatabaseSettings(), onStaleLock: (message) => logger.warn(message) });
  await store.migrate();
  const settingsReport = buildReport(inspectSettings('backend'));
  const database = getDatabaseSettings();
  const instance = `${hostname()}:${api.port} pid ${process.pid}`;
  const backend = new Backend({
    store,
    logger,
    host: api.host,
    port: api.port,
    jwtSecret: auth.jwtSecret,
    tokenExpireMinutes: auth.tokenExpireMinutes,
    checkpointDir: checkpoint.dir,
    checkpointMaxAgeDays: checkpoint.maxAgeDays,
    dataDir: data.dir,
    modelsDir: data.modelsDir,
    strategiesDir: data.strategiesDir,
    healthCheckIntervalMs: seconds(worker.healthCheckInterval),
    healthCheckTimeoutMs: seconds(worker.healthCheckTimeout),
    healthCheckFailures: worker.healthCheckFailures,
    workerRemovalThresholdMs: seconds(worker.removalThreshold),
    orphanTimeoutMs: seconds(orphans.timeoutSeconds),
    orphanCheckIntervalMs: seconds(orphans.checkIntervalSeconds),
    opsCacheTtlMs: seconds(ops.cacheTtl),
    maxOperations: ops.maxOperations,
    cleanupIntervalMs: seconds(ops.cleanupIntervalSeconds),
    retentionDays: ops.retentionDays,
    corsOrigins: api.corsOrigins,
    cors: {
      allowCredentials: api.corsAllowCredentials,
      allowMethods: api.corsAllowMethods,
      allowHeaders: api.corsAllowHeaders,
      maxAgeSeconds: api.corsMaxAge,
    },
    httpLogLevel: api.logLevel,
    uploadLimitBytes: megabytes(getHttpSettings().maxUploadMb),
    version: packageVersion(),
    telemetry,
    // Read once: the settings a running process uses do not change under it.
    settingsReport: () => settingsReport,
    instance,
    // Several backends may share one PostgreSQL database; one runs the periodic duties (docs/architecture.md §9).
    dutyLock: database.driver === 'postgres' ? () => openLockSession({ ...database, applicationName: `ktrdr-backend ${instance}` }) : null,
  });

  let url: string;
  try {
    url = await backend.start();
  } catch (error) {
    await backend.stop(); // closes the store, so a failed start (port in use) leaves nothing open
    await telemetry.shutdown();
    throw error;
  }
  logger.info(`backend listening on ${url} (API ${url}/api/v1, docs ${url}/api/v1/docs, store ${store.driver})`);
  const signal = await shutdownSignal();
  logger.info(`received ${signal}; stopping the backend`);
  await backend.stop();
  await telemetry.shutdown(); // exports the spans and metrics still buffered, the shutdown's own included
  logger.info('backend stopped');
  return 0;
}
