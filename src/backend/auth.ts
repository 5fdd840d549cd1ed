/**
 * The backend routes registered by plugins, which cannot declare their roles: the API docs (open, so that people
 * reading them need no token) and CORS preflights (browsers send them without credentials).
 */
import { API_PREFIX } from '../api/contract.js';
import type { PublicPluginRoute } from '../http/access-control.js';

export const DOCS_PREFIX = `${API_PREFIX}/docs`;

export const isPublicBackendPluginRoute: PublicPluginRoute = (method, url) =>
  method === 'OPTIONS' || url === DOCS_PREFIX || url.startsWith(`${DOCS_PREFIX}/`);
