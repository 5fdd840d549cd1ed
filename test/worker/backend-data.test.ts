/**
 * BackendData against a stand-in backend on a real port: bars in the binary columns format,
 * the JSON fallback for a backend that does not offer it, and a malformed frame refused.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { COLUMNS_MEDIA_TYPE, ColumnsFormatError, encodeColumns } from '../../src/api/columns.js';
import { HttpClient, NO_RETRY } from '../../src/client/http.js';
import { generateBars } from '../../src/market-data/generate.js';
import { BackendData } from '../../src/worker/backend-data.js';

const BARS = generateBars({ symbol: 'EURUSD', timeframe: '1h', bars: 500, seed: 3, start: '2024-01-01T00:00:00Z' });
const COLUMNS = { time: BARS.time, open: BARS.open, high: BARS.high, low: BARS.low, close: BARS.close, volume: BARS.volume };
const asJson = () => JSON.stringify({ symbol: 'EURUSD', timeframe: '1h', ...Object.fromEntries(Object.entries(COLUMNS).map(([name, column]) => [name, Array.from(column)])) });

let server: Server | undefined;
const seen: IncomingHttpHeaders[] = [];

afterEach(async () => {
  seen.length = 0;
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A backend answering every request with `answer`; returns BackendData pointed at it. */
async function standIn(answer: (headers: IncomingHttpHeaders) => { type: string; body: string | Uint8Array; status?: number }): Promise<BackendData> {
  server = createServer((request, response) => {
    seen.push(request.headers);
    const { type, body, status = 200 } = answer(request.headers);
    response.writeHead(status, { 'content-type': type });
    response.end(body);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const http = new HttpClient({ baseUrl: `http://127.0.0.1:${port}/api/v1`, timeoutMs: 10_000 });
  return new BackendData(http, NO_RETRY, { deliverModel: () => Promise.resolve() });
}

describe('BackendData.bars', () => {
  it('asks for the columns format (JSON as a fallback) and returns views on the response body', async () => {
    const data = await standIn(() => ({ type: COLUMNS_MEDIA_TYPE, body: encodeColumns({ symbol: 'EURUSD', timeframe: '1h' }, COLUMNS) }));
    const bars = await data.bars({ symbol: 'EURUSD', timeframe: '1h', startDate: '2024-01-01' });
    expect(seen[0]?.accept).toBe(`${COLUMNS_MEDIA_TYPE}, application/json;q=0.5`);
    expect(bars.symbol).toBe('EURUSD');
    expect(bars.timeframe).toBe('1h');
    for (const name of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) expect(bars[name]).toEqual(BARS[name]);
    expect(bars.volume.buffer).toBe(bars.time.buffer);
  });

  it('reads JSON from a backend that does not offer the format (an older one)', async () => {
    const data = await standIn(() => ({ type: 'application/json; charset=utf-8', body: asJson() }));
    const bars = await data.bars({ symbol: 'EURUSD', timeframe: '1h' });
    expect(bars.close).toEqual(BARS.close);
    expect(bars.time).toEqual(BARS.time);
  });

  it('refuses a frame without the bar columns or the series it is of, and passes on HTTP errors', async () => {
    const noClose = await standIn(() => ({ type: COLUMNS_MEDIA_TYPE, body: encodeColumns({ symbol: 'EURUSD', timeframe: '1h' }, { time: BARS.time }) }));
    await expect(noClose.bars({ symbol: 'EURUSD', timeframe: '1h' })).rejects.toThrow(ColumnsFormatError);
    await expect(noClose.bars({ symbol: 'EURUSD', timeframe: '1h' })).rejects.toThrow("GET /data/EURUSD/1h: no 'open' column (got time)");
    await new Promise((resolve) => server!.close(resolve));

    const noTimeframe = await standIn(() => ({ type: COLUMNS_MEDIA_TYPE, body: encodeColumns({ symbol: 'EURUSD' }, COLUMNS) }));
    await expect(noTimeframe.bars({ symbol: 'EURUSD', timeframe: '1h' })).rejects.toThrow('the header names no symbol and timeframe');
    await new Promise((resolve) => server!.close(resolve));

    const missing = await standIn(() => ({ type: 'application/json', status: 404, body: JSON.stringify({ error: { message: 'no market data for GBPUSD 1h' } }) }));
    await expect(missing.bars({ symbol: 'GBPUSD', timeframe: '1h' })).rejects.toMatchObject({ status: 404, message: 'GET /data/GBPUSD/1h failed with 404: no market data for GBPUSD 1h' });
  });
});
