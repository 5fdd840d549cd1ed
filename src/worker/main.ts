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
import { errorText } from '../common/errors.js';
import { createLogger } from '../logging/logger.js';
import { packageVersion } from '../common/version.js';
import { createTelemetry } from '../telemetry/create.js';
import { loadWorkloads } from '../workloads/catalogue.js';
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
  // Its workloads' code (the training or backtest engine, the strategy and indicator libraries) is a large part of
  // what a worker loads: it loads once the backend has listed the worker, and a start request waits for it
  // (docs/architecture.md §1, "What loads when").
  let loadNow = (): void => {};
  const workloads = new Promise<void>((resolve) => (loadNow = resolve))
    .then(() => loadWorkloads(workerType))
    .then((loaded) => {
      logger.debug(`workloads loaded: ${loaded.map((workload) => workload.type).join(', ')}`);
      return loaded;
    });
  const runtime = assembleWorker({
    telemetry,
    workerType,
    workloads,
    worker: getWorkerSettings(),
    apiClient: getApiClientSettings(),
    auth: getAuthSettings(),
    checkpoint: getCheckpointSettings(),
    http: getHttpSettings(),
    logger,
  });

  await runtime.start();
  // After the HTTP application, which a request (the backend's health check, a start) needs first.
  void runtime.whenRegistered().then(() => runtime.whenServing()).then(loadNow, () => {});
  const ended = await Promise.race([
    shutdownSignal().then((signal) => ({ signal })),
    runtime.whenPermanentlyRefused().then((refusal) => ({ refusal })),
    // Nor can a build that cannot load its own HTTP application answer the backend.
    runtime.whenServing().then(
      () => new Promise<never>(() => {}),
      (error: unknown) => ({ refusal: `worker ${runtime.workerId} cannot serve its API: ${errorText(error)}` }),
    ),
    // A build that cannot load its own workloads would accept operations it can never run.
    workloads.then(
      () => new Promise<never>(() => {}),
      (error: unknown) => ({ refusal: `worker ${runtime.workerId} cannot load its ${workerType} workloads: ${errorText(error)}` }),
    ),
  ]);
  if ('refusal' in ended) {
    // Retrying forever would only fill the log: neither the secret nor the installed code changes under a running worker.
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
