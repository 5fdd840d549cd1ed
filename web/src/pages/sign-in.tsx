import { useState } from 'preact/hooks';

/** Shown with no token, or when the backend refused the one held (expired, or another deployment's secret). */
export function SignIn({ expired, onToken }: { expired: boolean; onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  return (
    <div class="sign-in">
      <h1>ktrdr dashboard</h1>
      {expired && <p class="error">The backend refused the token (expired, or signed for another deployment). Sign in again.</p>}
      <p>
        Run <code>ktrdr dashboard</code> and open the URL it prints, or paste a token from <code>ktrdr auth token</code>. The token is
        kept for this browser tab only.
      </p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim()) onToken(token.trim());
        }}
      >
        <textarea name="token" rows={4} placeholder="eyJ…" value={token} onInput={(e) => setToken((e.target as HTMLTextAreaElement).value)} />
        <button type="submit">Sign in</button>
      </form>
    </div>
  );
}
