/**
 * Which backend routes need no token: GET /health, GET /metrics, the API docs
 * (so that monitoring and people reading the docs need none) and CORS
 * preflights (browsers send them without credentials).
 */
import { API_PREFIX } from '../api/contract.js';
import type { OpenRoute } from '../http/bearer-auth.js';

export const DOCS_PREFIX = `${API_PREFIX}/docs`;

export const isOpenBackendRoute: OpenRoute = (method, path) => {
  if (method === 'OPTIONS') return true;
  if (path === DOCS_PREFIX || path.startsWith(`${DOCS_PREFIX}/`)) return true;
  return (method === 'GET' || method === 'HEAD') && (path === '/health' || path === '/metrics');
};
