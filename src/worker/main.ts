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
  checkSettingsAtStartup,
} from '../config/settings.js';
import { logFormatOf } from '../config/derived.js';
import { shutdownSignal } from '../common/shutdown.js';
import { createLogger } from '../logging/logger.js';
import { assembleWorker } from './assemble.js';

export async function runWorker(workerType: WorkerType): Promise<number> {
  if (!checkSettingsAtStartup('worker')) return 1; // before any port is bound

  const logging = getLoggingSettings();
  const logger = createLogger({ level: logging.level, format: logFormatOf(logging), name: `worker-${workerType}` });
  const runtime = assembleWorker({
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
  logger.info(`worker ${runtime.workerId} stopped`);
  return 0;
}
