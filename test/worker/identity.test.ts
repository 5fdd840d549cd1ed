/** Worker identity (docs/architecture.md §3.3): id and endpoint URL resolution. */
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { isLoopbackUrl, resolveEndpointUrl, resolveWorkerId } from '../../src/worker/identity.js';

describe('resolveWorkerId', () => {
  it('uses KTRDR_WORKER_ID when set', () => {
    expect(resolveWorkerId('backtest-worker-1', 'backtesting', 5004, 'box')).toBe('backtest-worker-1');
  });

  it('generates <type>-<hostname>-<port> otherwise: the same on every start of the same worker', () => {
    expect(resolveWorkerId(null, 'training', 5003, 'My_Box.local')).toBe('training-my-box.local-5003');
    expect(resolveWorkerId(undefined, 'backtesting', 5004, 'box')).toBe(resolveWorkerId(undefined, 'backtesting', 5004, 'box'));
    expect(resolveWorkerId(undefined, 'backtesting', 5005, 'box')).toBe('backtesting-box-5005');
  });

  it('falls back to a random suffix when the port is not known yet (0: a free port is picked)', () => {
    expect(resolveWorkerId(null, 'training', 0, 'box', () => 'a1b2c3')).toBe('training-box-a1b2c3');
    expect(resolveWorkerId(undefined, 'training', 0, 'box')).toMatch(/^training-box-[0-9a-f]{6}$/);
  });
});

describe('resolveEndpointUrl', () => {
  const loopback: NetworkInterfaceInfo[] = [{ address: '127.0.0.1', family: 'IPv4', internal: true, netmask: '255.0.0.0', mac: '', cidr: null }];
  const interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = {
    lo: loopback,
    eth0: [
      { address: 'fe80::1', family: 'IPv6', internal: false, netmask: '', mac: '', cidr: null, scopeid: 0 },
      { address: '192.168.1.201', family: 'IPv4', internal: false, netmask: '', mac: '', cidr: null },
    ],
  };

  it('prefers KTRDR_WORKER_ENDPOINT_URL, then KTRDR_WORKER_PUBLIC_BASE_URL', () => {
    const base = { backendUrl: 'http://localhost:8000/api/v1', port: 5003 };
    expect(resolveEndpointUrl({ ...base, endpointUrl: 'http://w1:6000/', publicBaseUrl: 'http://proxy' })).toBe('http://w1:6000');
    expect(resolveEndpointUrl({ ...base, publicBaseUrl: 'https://proxy.example.com/w1/' })).toBe('https://proxy.example.com/w1');
  });

  it('derives 127.0.0.1 and the port when the backend is on loopback', () => {
    for (const backendUrl of ['http://localhost:8000/api/v1', 'http://127.0.0.1:8000/api/v1', 'http://[::1]:8000/api/v1']) {
      expect(resolveEndpointUrl({ backendUrl, port: 5003, interfaces })).toBe('http://127.0.0.1:5003');
    }
  });

  it('derives the first external IPv4 (else the hostname) when the backend is remote', () => {
    const backendUrl = 'http://backend.example.com:8000/api/v1';
    expect(resolveEndpointUrl({ backendUrl, port: 5004, interfaces })).toBe('http://192.168.1.201:5004');
    expect(resolveEndpointUrl({ backendUrl, port: 5004, interfaces: { lo: loopback }, hostname: 'gpu-box' })).toBe('http://gpu-box:5004');
  });

  it('knows loopback URLs', () => {
    expect(isLoopbackUrl('http://localhost:8000')).toBe(true);
    expect(isLoopbackUrl('http://127.0.0.2:8000')).toBe(true);
    expect(isLoopbackUrl('http://10.0.0.5:8000')).toBe(false);
  });
});
