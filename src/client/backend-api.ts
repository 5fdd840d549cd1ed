/**
 * A typed client of the backend routes the CLI (and the demo) use. Every answer
 * is parsed with its contract schema, so a backend that drifts from the contract
 * is reported instead of rendered wrongly.
 */
import { z } from 'zod';
import {
  API_PREFIX,
  CheckpointsDeleted,
  CheckpointsResponse,
  DataSetSummary,
  DummyStartBody,
  GetOperationResponse,
  ListOperationsResponse,
  ModelArtifact,
  ModelDeleted,
  ModelSummary,
  OperationResultsResponse,
  PruneOperationsResponse,
  StartOperationResponse,
  WorkerRecord,
  type BacktestStartBody,
  type OperationRecord,
  type TrainingStartBody,
  type OperationStatus,
  type PruneOperationsBody,
  type OperationType,
  type WorkerStatus,
  type WorkerType,
} from '../api/contract.js';
import { HttpClient, type HttpClientOptions } from './http.js';

export interface WorkerFilter {
  readonly workerType?: WorkerType;
  readonly status?: WorkerStatus;
}

export interface OperationFilter {
  readonly status?: OperationStatus;
  readonly operationType?: OperationType;
  readonly limit?: number;
}

export type ListOperationsResult = z.infer<typeof ListOperationsResponse>;
export type OperationResults = z.infer<typeof OperationResultsResponse>['data'];
export type CheckpointInfo = z.infer<typeof CheckpointsResponse>['data'][number];

const HealthResponse = z.looseObject({});
/** Cancel and resume answer at least `{success: true}`; the CLI reads the operation afterwards. */
const Acknowledgement = z.looseObject({ success: z.literal(true) });
const Workers = z.array(WorkerRecord);
const Models = z.array(ModelSummary);
const DataSets = z.array(DataSetSummary);

/** What a caller may send: the fields with a default (seed, capital, costs) are left to the backend when omitted. */
export type TrainingRequest = z.input<typeof TrainingStartBody>;
export type BacktestRequest = z.input<typeof BacktestStartBody>;

/** `http://host:8000/api/v1` → `http://host:8000` (GET /health lives at the root). */
export function backendRootUrl(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, '');
  return trimmed.endsWith(API_PREFIX) ? trimmed.slice(0, -API_PREFIX.length) : trimmed;
}

export class BackendApi {
  constructor(
    /** Bound to the API base URL (…/api/v1), with a bearer token. */
    private readonly api: HttpClient,
    /** Bound to the backend's root URL, for GET /health. */
    private readonly root: HttpClient,
  ) {}

  /** One client for both: `options.baseUrl` is the API base URL (…/api/v1). */
  static create(options: HttpClientOptions): BackendApi {
    const root = { ...options, baseUrl: backendRootUrl(options.baseUrl), fallbackUrls: options.fallbackUrls?.map(backendRootUrl) };
    return new BackendApi(new HttpClient(options), new HttpClient(root));
  }

  get baseUrl(): string {
    return this.api.baseUrl;
  }

  async health(): Promise<Record<string, unknown>> {
    return this.root.request('GET', '/health', HealthResponse);
  }

  async listWorkers(filter: WorkerFilter = {}): Promise<WorkerRecord[]> {
    return this.api.request('GET', '/workers', Workers, {
      query: { worker_type: filter.workerType, status: filter.status },
    });
  }

  async getWorker(workerId: string): Promise<WorkerRecord> {
    return this.api.request('GET', `/workers/${encodeURIComponent(workerId)}`, WorkerRecord);
  }

  async listOperations(filter: OperationFilter = {}): Promise<ListOperationsResult> {
    return this.api.request('GET', '/operations', ListOperationsResponse, {
      query: { status: filter.status, operation_type: filter.operationType, limit: filter.limit },
    });
  }

  async getOperation(operationId: string): Promise<OperationRecord> {
    return (await this.api.request('GET', operationPath(operationId), GetOperationResponse)).data;
  }

  async getResults(operationId: string): Promise<OperationResults> {
    return (await this.api.request('GET', `${operationPath(operationId)}/results`, OperationResultsResponse)).data;
  }

  /** The checkpoints an operation holds, oldest first. */
  async listCheckpoints(operationId: string): Promise<CheckpointInfo[]> {
    return (await this.api.request('GET', `${operationPath(operationId)}/checkpoints`, CheckpointsResponse)).data;
  }

  /** Deletes one checkpoint, or every one when `checkpointId` is omitted; returns how many went. */
  async deleteCheckpoints(operationId: string, checkpointId?: string): Promise<number> {
    const path = `${operationPath(operationId)}/checkpoints${checkpointId === undefined ? '' : `/${encodeURIComponent(checkpointId)}`}`;
    return (await this.api.request('DELETE', path, CheckpointsDeleted)).deleted;
  }

  /** Requests cancellation and returns the operation as it stands afterwards. */
  async cancelOperation(operationId: string): Promise<OperationRecord> {
    await this.api.request('DELETE', operationPath(operationId), Acknowledgement);
    return this.getOperation(operationId);
  }

  /** Resumes a failed or cancelled operation from its latest checkpoint; returns it as it stands afterwards. */
  async resumeOperation(operationId: string): Promise<OperationRecord> {
    await this.api.request('POST', `${operationPath(operationId)}/resume`, Acknowledgement, { body: {} });
    return this.getOperation(operationId);
  }

  async startDummy(body: Partial<DummyStartBody> = {}): Promise<StartOperationResponse> {
    return this.api.request('POST', '/dummy/start', StartOperationResponse, { body: DummyStartBody.parse(body) });
  }

  /**
   * Queues a training operation. The body is sent as given (omitted fields take the
   * backend's defaults); the backend validates it and the strategy, answering 400
   * with every problem of a bad strategy by its path in the file.
   */
  async startTraining(body: TrainingRequest): Promise<StartOperationResponse> {
    return this.api.request('POST', '/trainings/start', StartOperationResponse, { body });
  }

  /** Queues a backtest of a trained model (by default on the model's held-out test period). */
  async startBacktest(body: BacktestRequest): Promise<StartOperationResponse> {
    return this.api.request('POST', '/backtests/start', StartOperationResponse, { body });
  }

  /** Trained models, newest first, without their weights. */
  async listModels(): Promise<ModelSummary[]> {
    return this.api.request('GET', '/models', Models);
  }

  /** One model with its artifact (strategy, feature specification, weights). */
  async getModel(modelId: string): Promise<ModelArtifact> {
    return this.api.request('GET', `/models/${encodeURIComponent(modelId)}`, ModelArtifact);
  }

  /** Deletes a model; 409 while an active backtest uses it. */
  async deleteModel(modelId: string): Promise<void> {
    await this.api.request('DELETE', `/models/${encodeURIComponent(modelId)}`, ModelDeleted);
  }

  /** Deletes ended operations; returns their ids. */
  async pruneOperations(body: Partial<PruneOperationsBody>): Promise<string[]> {
    return (await this.api.request('POST', '/operations/prune', PruneOperationsResponse, { body })).deleted;
  }

  /** The market data series the backend holds. */
  async listData(): Promise<DataSetSummary[]> {
    return this.api.request('GET', '/data', DataSets);
  }
}

const operationPath = (operationId: string) => `/operations/${encodeURIComponent(operationId)}`;

