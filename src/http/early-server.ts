/**
 * A node:http server that listens before its Fastify application exists, and holds the requests that arrive until
 * the application is ready. Loading and building Fastify is the largest part of a worker's start that registering
 * does not need (docs/architecture.md §1.1): the worker listens and registers first, and the application is built
 * after. A request that comes in meanwhile (the backend may dispatch as soon as it lists the worker) waits for the
 * application, then gets exactly the answer it would have had from a server started the usual way: it is never
 * refused nor answered by anything but the application.
 *
 * The application takes this server through Fastify's `serverFactory`, so that its routes, hooks and client-error
 * handling are those of any other ktrdr server; only listening and closing stay here.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyServerFactory } from 'fastify';
import { errorText } from '../common/errors.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** Builds the application on the server `serverFactory` hands it (the caller passes it on to Fastify's options). */
export type AppLoader = (serverFactory: FastifyServerFactory) => Promise<FastifyInstance>;

/**
 * What Fastify sets on a server it creates itself (its defaults: keep-alive sockets kept 72 s, no request or
 * connection timeout), set here because Fastify leaves a server from `serverFactory` as it is and this one accepts
 * connections before Fastify is even loaded. test/http/early-server.test.ts compares them with Fastify's own.
 */
export const FASTIFY_SERVER_DEFAULTS = { keepAliveTimeoutMs: 72_000, requestTimeoutMs: 0, connectionTimeoutMs: 0 } as const;

/** Thrown when the application could not be built (the requests held for it are answered 500). */
export class AppLoadError extends Error {
  constructor(processName: string, cause: unknown) {
    super(`the ${processName}'s HTTP application could not be built: ${errorText(cause)}`, { cause });
    this.name = 'AppLoadError';
  }
}

export class EarlyHttpServer {
  readonly server: Server;
  /** For 'localhost', the servers on its other addresses (see listen()). */
  private readonly secondaries: Server[] = [];
  private handler: Handler | null = null;
  private readonly held: [IncomingMessage, ServerResponse][] = [];
  private building: Promise<FastifyInstance> | null = null;
  private failure: AppLoadError | null = null;
  private settleBuilt: { resolve: (app: FastifyInstance) => void; reject: (error: AppLoadError) => void } | null = null;
  private readonly built = new Promise<FastifyInstance>((resolve, reject) => (this.settleBuilt = { resolve, reject }));

  /** `processName` (`worker`) is named in the answer held requests get if the application cannot be built. */
  constructor(
    private readonly loadApp: AppLoader,
    private readonly processName: string,
  ) {
    this.server = this.newServer();
    // Handled: whoever waits on it with whenBuilt() sees the failure; nobody waiting is no unhandled rejection.
    this.built.catch(() => {});
  }

  /** Requests waiting for the application (for tests and logs). */
  get heldCount(): number {
    return this.held.length;
  }

  /** Whether the application answers requests now. */
  get isServing(): boolean {
    return this.handler !== null;
  }

  /**
   * Listens on `host`:`port` (0: any free port), before the application is built. On 'localhost', as Fastify's
   * own listen() does, also on the other addresses it resolves to (127.0.0.1 and ::1), on the same port, where it
   * can (one that fails is left out, the first address serving).
   */
  async listen(host: string, port: number): Promise<AddressInfo> {
    await listenOn(this.server, host, port);
    const primary = this.server.address() as AddressInfo;
    if (host === 'localhost') {
      const { lookup } = await import('node:dns/promises');
      const addresses = await lookup(host, { all: true }).catch(() => []);
      await Promise.all(
        addresses
          .filter(({ address }) => address !== primary.address)
          .map(async ({ address }) => {
            const secondary = this.newServer();
            await listenOn(secondary, address, primary.port).then(
              () => this.secondaries.push(secondary),
              () => {},
            );
          }),
      );
    }
    return primary;
  }

  /**
   * The application, built on first call (each later call gets the same one) and ready: its routes answer this
   * server's requests from then on, the held ones first, in the order they came. Rejects with an AppLoadError when
   * it cannot be built; the held requests, and any later one, are then answered 500.
   */
  app(): Promise<FastifyInstance> {
    this.building ??= this.build();
    return this.building;
  }

  /** Settles when the application is built and ready (or rejects when it could not be); starts nothing. */
  whenBuilt(): Promise<FastifyInstance> {
    return this.built;
  }

  /** Closes the application (if it was built) and the server; waits for the requests in progress. */
  async close(): Promise<void> {
    if (this.building) {
      const app = await this.building.catch(() => null);
      // With a server of its own making, Fastify does not close it (it never listened on it): closed below.
      if (app) await app.close();
    }
    await Promise.all(this.secondaries.splice(0).map((secondary) => closeServer(secondary).catch(() => {})));
    if (this.server.listening) await closeServer(this.server);
  }

  /** A server whose requests go to the application (held until it is ready), configured as Fastify would. */
  private newServer(): Server {
    const server = createServer((request, response) => this.dispatch(request, response));
    server.keepAliveTimeout = FASTIFY_SERVER_DEFAULTS.keepAliveTimeoutMs;
    server.requestTimeout = FASTIFY_SERVER_DEFAULTS.requestTimeoutMs;
    server.setTimeout(FASTIFY_SERVER_DEFAULTS.connectionTimeoutMs);
    return server;
  }

  private dispatch(request: IncomingMessage, response: ServerResponse): void {
    if (this.handler) return this.handler(request, response);
    if (this.failure) return this.refuse(response);
    this.held.push([request, response]);
    // A request before the application was asked for (by the owner, once registered) starts building it.
    this.app().catch(() => {}); // the failure is answered to the held requests, and the owner sees it from app()
  }

  private async build(): Promise<FastifyInstance> {
    let handler: Handler | null = null;
    try {
      const app = await this.loadApp((httpHandler) => {
        handler = httpHandler;
        return this.server;
      });
      await app.ready();
      if (handler === null) throw new Error('the application was built without the serverFactory it was given');
      this.handler = handler;
      for (const [request, response] of this.held.splice(0)) (handler as Handler)(request, response);
      this.settleBuilt?.resolve(app);
      return app;
    } catch (error) {
      this.failure = error instanceof AppLoadError ? error : new AppLoadError(this.processName, error);
      for (const [, response] of this.held.splice(0)) this.refuse(response);
      this.settleBuilt?.reject(this.failure);
      throw this.failure;
    }
  }

  /**
   * The answer the application gives an unexpected error (src/http/error-handling.ts), in the one error shape: the
   * cause (with the paths of the files that failed to load) is for the log, which the owner writes from app().
   */
  private refuse(response: ServerResponse): void {
    const body = { success: false, error: { code: 'INTERNAL_ERROR', message: `internal error; see the ${this.processName} log` } };
    response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  }
}

function listenOn(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (error: Error): void => reject(error);
    server.once('error', failed);
    server.listen({ host, port }, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}
