/**
 * Who a worker is (docs/architecture.md §3.3): its id, and the URL the backend reaches it at.
 * Pure functions of their inputs; the entry point passes the settings and the
 * machine's facts in.
 */
import { randomBytes } from 'node:crypto';
import { hostname as osHostname, networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import type { WorkerType } from '../api/contract.js';

export interface WorkerIdentity {
  readonly workerId: string;
  readonly workerType: WorkerType;
}

/**
 * `KTRDR_WORKER_ID` when set, else `<type>-<hostname>-<port>`: the same worker (same machine, same port) keeps its
 * id across restarts, so `ktrdr workers`, logs and operation records name it the same way, and two workers of one
 * machine differ by the port only one of them can hold. Without a port (0: a free one is picked) a short random
 * suffix stands in.
 */
export function resolveWorkerId(
  configured: string | null | undefined,
  workerType: WorkerType,
  port: number,
  host: string = osHostname(),
  random: () => string = () => randomBytes(3).toString('hex'),
): string {
  if (configured) return configured;
  const safeHost = host.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'host';
  return `${workerType}-${safeHost}-${port > 0 ? port : random()}`;
}

export interface EndpointInputs {
  /** KTRDR_WORKER_ENDPOINT_URL. */
  readonly endpointUrl?: string | null;
  /** KTRDR_WORKER_PUBLIC_BASE_URL. */
  readonly publicBaseUrl?: string | null;
  /** KTRDR_API_CLIENT_BASE_URL: a loopback backend means a local stack. */
  readonly backendUrl: string;
  /** The port the worker actually listens on. */
  readonly port: number;
  readonly hostname?: string;
  readonly interfaces?: NodeJS.Dict<NetworkInterfaceInfo[]>;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.toLowerCase();
  return LOOPBACK_HOSTS.has(host) || host.startsWith('127.') || host.endsWith('.localhost');
}

/** The first non-internal IPv4 address, or null on a machine without one. */
export function firstExternalIPv4(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): string | null {
  for (const entries of Object.values(interfaces)) {
    for (const entry of entries ?? []) if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  }
  return null;
}

/**
 * The URL the backend reaches this worker at: the explicit endpoint, else the
 * public base URL, else derived from the port: 127.0.0.1 when the backend is on
 * loopback (a local stack), else this machine's first external IPv4 (or its
 * hostname when it has none), so that a remote backend can reach it.
 */
export function resolveEndpointUrl(inputs: EndpointInputs): string {
  const explicit = inputs.endpointUrl || inputs.publicBaseUrl;
  if (explicit) return explicit.replace(/\/+$/, '');
  const host = isLoopbackUrl(inputs.backendUrl)
    ? '127.0.0.1'
    : (firstExternalIPv4(inputs.interfaces) ?? inputs.hostname ?? osHostname());
  return `http://${host}:${inputs.port}`;
}
