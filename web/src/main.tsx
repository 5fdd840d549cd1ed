/** The operator dashboard: sign-in, then Fleet, Operations, one operation (training / backtest), Models, Data. */
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { adoptTokenFromFragment, Api, tokenStore } from './api.js';
import { Live, useLive } from './live.js';
import { ChartBench } from './pages/chart-bench.js';
import { DataPage } from './pages/data.js';
import { FleetPage } from './pages/fleet.js';
import { ModelsPage } from './pages/models.js';
import { OperationPage } from './pages/operation.js';
import { OperationsPage } from './pages/operations.js';
import { SignIn } from './pages/sign-in.js';
import './style.css';

export interface PageProps {
  readonly api: Api;
  readonly live: Live;
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
        {page === 'operations' && <OperationsPage api={api} live={live} />}
        {page === 'operation' && id && <OperationPage api={api} live={live} id={id} />}
        {page === 'models' && <ModelsPage api={api} live={live} />}
        {page === 'data' && <DataPage api={api} live={live} />}
        {page === 'bench' && id === 'candles' && <ChartBench bars={Number(route[2] ?? 100_000)} />}
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
