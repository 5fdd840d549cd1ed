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
  getLoggingSettings,
  getWorkerSettings,
  validateAll,
  warnDeprecatedEnvVars,
} from '../config/settings.js';
import { createLogger } from '../logging/logger.js';
import { ConfigurationError } from '../settings-engine/index.js';
import { assembleWorker } from './assemble.js';

export async function runWorker(workerType: WorkerType): Promise<number> {
  warnDeprecatedEnvVars();
  try {
    validateAll('worker');
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1; // before any port is bound
  }

  const logging = getLoggingSettings();
  const logger = createLogger({ level: logging.level, format: logging.format, name: `worker-${workerType}` });
  const runtime = assembleWorker({
    workerType,
    worker: getWorkerSettings(),
    apiClient: getApiClientSettings(),
    auth: getAuthSettings(),
    checkpoint: getCheckpointSettings(),
    logger,
  });

  await runtime.start();
  const signal = await shutdownSignal();
  logger.info(`received ${signal}; stopping worker ${runtime.workerId}`);
  await runtime.stop();
  logger.info(`worker ${runtime.workerId} stopped`);
  return 0;
}

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once (the operator insists). */
function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
