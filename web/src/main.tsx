/** The operator dashboard: sign-in, then Fleet, Operations, one operation (training / backtest), Models, Data, Strategies,
 * Configuration. */
import { render, type ComponentType } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { adoptTokenFromFragment, Api, tokenStore } from './api.js';
import { Live, useLive } from './live.js';
import { FleetPage } from './pages/fleet.js';
import { ModelsPage } from './pages/models.js';
import { SignIn } from './pages/sign-in.js';
import './style.css';

export interface PageProps {
  readonly api: Api;
  readonly live: Live;
}

/**
 * Pages loaded on first visit: the charts (uPlot, lightweight-charts) and the form's schemas are most of the
 * JavaScript, and the first page (the fleet) needs none of them.
 */
const loaders = {
  operations: () => import('./pages/operations.js').then((m) => m.OperationsPage as ComponentType<never>),
  operation: () => import('./pages/operation.js').then((m) => m.OperationPage as ComponentType<never>),
  data: () => import('./pages/data.js').then((m) => m.DataPage as ComponentType<never>),
  config: () => import('./pages/config.js').then((m) => m.ConfigPage as ComponentType<never>),
  strategies: () => import('./pages/strategies.js').then((m) => m.StrategiesPage as ComponentType<never>),
  bench: () => import('./pages/chart-bench.js').then((m) => m.ChartBench as ComponentType<never>),
};

function Lazy({ page, props }: { page: keyof typeof loaders; props: Record<string, unknown> }) {
  const [component, setComponent] = useState<{ page: string; Component: ComponentType<Record<string, unknown>> } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    loaders[page]().then(
      (Component) => setComponent({ page, Component: Component as ComponentType<Record<string, unknown>> }),
      (e: unknown) => setError(`could not load the page: ${e instanceof Error ? e.message : String(e)}`),
    );
  }, [page]);
  if (error) return <p class="error">{error}</p>;
  if (!component || component.page !== page) return <p class="muted">Loading…</p>;
  const { Component } = component;
  return <Component {...props} />;
}

function useHashRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

const NAV = [
  ['fleet', 'Fleet'],
  ['operations', 'Operations'],
  ['models', 'Models'],
  ['data', 'Data'],
  ['strategies', 'Strategies'],
  ['config', 'Configuration'],
] as const;

function App() {
  const [signedIn, setSignedIn] = useState(() => tokenStore.get() !== null);
  const [expired, setExpired] = useState(false);
  const api = useMemo(
    () =>
      new Api(() => {
        setExpired(true);
        setSignedIn(false);
      }),
    [],
  );
  const live = useMemo(() => new Live(api, () => setSignedIn(false)), [api]);
  useEffect(() => {
    if (!signedIn) return;
    live.start();
    return () => live.stop();
  }, [signedIn, live]);
  const route = useHashRoute();

  if (!signedIn) {
    return (
      <SignIn
        expired={expired}
        onToken={(token) => {
          tokenStore.set(token);
          setExpired(false);
          setSignedIn(true);
        }}
      />
    );
  }
  const [page = 'fleet', id] = route;
  return (
    <div class="shell">
      <header>
        <strong>ktrdr</strong>
        <nav>
          {NAV.map(([key, label]) => (
            <a href={`#/${key}`} class={page === key || (page === 'operation' && key === 'operations') ? 'active' : ''}>
              {label}
            </a>
          ))}
        </nav>
        <button
          class="link"
          onClick={() => {
            tokenStore.clear();
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      <Banner live={live} />
      <main>
        {page === 'fleet' && <FleetPage api={api} live={live} />}
        {page === 'operations' && <Lazy page="operations" props={{ api, live }} />}
        {page === 'operation' && id && <Lazy page="operation" props={{ api, live, id }} />}
        {page === 'models' && <ModelsPage api={api} live={live} />}
        {page === 'data' && <Lazy page="data" props={{ api, live }} />}
        {page === 'strategies' && <Lazy page="strategies" props={{ api, live }} />}
        {page === 'config' && <Lazy page="config" props={{ api, live }} />}
        {page === 'bench' && id === 'candles' && <Lazy page="bench" props={{ bars: Number(route[2] ?? 100_000) }} />}
      </main>
    </div>
  );
}

function Banner({ live }: { live: Live }) {
  const state = useLive(live);
  if (state.connection === null) return <div class="live-dot" data-testid="live" title="live updates connected" />;
  return (
    <div class="banner" role="status" data-testid="connection-banner">
      Live updates are down ({state.connection}); reconnecting, and polling meanwhile.
    </div>
  );
}

adoptTokenFromFragment();
render(<App />, document.getElementById('app') as HTMLElement);
