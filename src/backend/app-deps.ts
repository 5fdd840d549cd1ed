/** What the HTTP layer needs from the backend's services. */
import type { TokenService } from '../auth/tokens.js';
import type { PrivatePath } from '../http/private-paths.js';
import type { Logger } from '../logging/logger.js';
import type { MarketDataRepository } from '../market-data/repository.js';
import type { BackendMetrics } from './metrics.js';
import type { ModelStore } from './services/model-store.js';
import type { OperationsService } from './services/operations-service.js';
import type { WorkSubmissions } from './services/work-submissions.js';
import type { WorkerRegistry } from './services/worker-registry.js';

export interface BackendAppDeps {
  readonly tokens: TokenService;
  readonly registry: WorkerRegistry;
  readonly operations: OperationsService;
  readonly metrics: BackendMetrics;
  readonly marketData: MarketDataRepository;
  readonly models: ModelStore;
  readonly submissions: WorkSubmissions;
  readonly logger: Logger;
  /** Seconds since the backend started (GET /health). */
  readonly uptimeSeconds: () => number;
  readonly version: string;
  /** Origins allowed by CORS; `*` allows any, empty allows none. */
  readonly corsOrigins: readonly string[];
  /** Body limit of the routes taking uploads (models, checkpoints, outcomes). */
  readonly uploadLimitBytes: number;
  /** Server directories answers show as the setting that names them. */
  readonly privatePaths: readonly PrivatePath[];
}
