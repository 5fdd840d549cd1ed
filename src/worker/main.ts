/**
 * `ktrdr worker training|backtesting`: check the settings, build the worker,
 * serve until SIGINT/SIGTERM, then hand back any running operation and
 * deregister. Returns the process exit code.
 */
import type { WorkerType } from '../api/contract.js';
import {
  getApiClientSettings,
  getAuthSettings,
  getCheckpointSettings,
  getHttpSettings,
  getLoggingSettings,
  getWorkerSettings,
  getObservabilitySettings,
  checkSettingsAtStartup,
} from '../config/settings.js';
import { logFormatOf } from '../config/derived.js';
import { shutdownSignal } from '../common/shutdown.js';
import { createLogger } from '../logging/logger.js';
import { packageVersion } from '../common/version.js';
import { createTelemetry } from '../telemetry/create.js';
import { assembleWorker } from './assemble.js';

export async function runWorker(workerType: WorkerType): Promise<number> {
  if (!checkSettingsAtStartup('worker')) return 1; // before any port is bound

  const logging = getLoggingSettings();
  const logger = createLogger({ level: logging.level, format: logFormatOf(logging), name: `worker-${workerType}` });
  const telemetry = await createTelemetry(
    getObservabilitySettings(),
    { role: 'worker', version: packageVersion(), attributes: { 'ktrdr.worker.type': workerType } },
    (message) => logger.warn(message),
  );
  const runtime = assembleWorker({
    telemetry,
    workerType,
    worker: getWorkerSettings(),
    apiClient: getApiClientSettings(),
    auth: getAuthSettings(),
    checkpoint: getCheckpointSettings(),
    http: getHttpSettings(),
    logger,
  });

  await runtime.start();
  const ended = await Promise.race([
    shutdownSignal().then((signal) => ({ signal })),
    runtime.whenPermanentlyRefused().then((refusal) => ({ refusal })),
  ]);
  if ('refusal' in ended) {
    // Retrying forever would only fill the log: the secret will not change under a running worker.
    await runtime.stop();
    process.stderr.write(`error: ${ended.refusal}\n`);
    return 1;
  }
  logger.info(`received ${ended.signal}; stopping worker ${runtime.workerId}`);
  await runtime.stop();
  await telemetry.shutdown(); // exports the spans and metrics still buffered, the handed-back run's included
  logger.info(`worker ${runtime.workerId} stopped`);
  return 0;
}
