/**
 * Sign in, sign up, and the one-time code step when the server requires a verified email. The
 * Google button appears when /auth-info says Google is configured.
 */
import { useAuthInfo, signInWithGoogle } from '../../api/auth.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';
import { useSignInFlow, type SignInFlow } from './use-sign-in-flow.ts';

const TITLES = { 'sign-in': 'Sign in to the Console', 'sign-up': 'Create your account', verify: 'Check your email' } as const;

export function SignInPage() {
  const info = useAuthInfo().data;
  const flow = useSignInFlow(info);
  const { mode } = flow;
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark" /> open managed agents
        </div>
        <h1>{TITLES[mode]}</h1>
        <form onSubmit={flow.submit} className="stack">
          {mode === 'verify' ? <VerifyFields flow={flow} /> : <CredentialFields flow={flow} />}
          <ErrorNote error={flow.error} />
        </form>
        {info?.methods.google && mode !== 'verify' ? (
          <button type="button" className="google" onClick={() => signInWithGoogle().catch(flow.setError)}>
            Continue with Google
          </button>
        ) : null}
        {mode !== 'verify' ? (
          <p className="switch-mode">
            {mode === 'sign-in' ? 'New here?' : 'Already have an account?'}{' '}
            <button type="button" className="link" onClick={() => flow.switchTo(mode === 'sign-in' ? 'sign-up' : 'sign-in')}>
              {mode === 'sign-in' ? 'Sign up' : 'Sign in'}
            </button>
          </p>
        ) : null}
      </div>
    </main>
  );
}

function CredentialFields({ flow }: { flow: SignInFlow }) {
  const { mode, fields, set } = flow;
  const signingUp = mode === 'sign-up';
  return (
    <>
      {signingUp ? <Field label="Name">{(id) => <input id={id} autoComplete="name" value={fields.name} onChange={(e) => set({ name: e.target.value })} />}</Field> : null}
      <Field label="Email">{(id) => <input id={id} type="email" autoComplete="email" required value={fields.email} onChange={(e) => set({ email: e.target.value })} />}</Field>
      <Field label="Password" hint={signingUp ? 'At least 8 characters.' : undefined}>
        {(id) => (
          <input
            id={id}
            type="password"
            autoComplete={signingUp ? 'new-password' : 'current-password'}
            required
            minLength={signingUp ? 8 : undefined}
            value={fields.password}
            onChange={(e) => set({ password: e.target.value })}
          />
        )}
      </Field>
      <button type="submit" className="primary" disabled={flow.busy}>
        {signingUp ? 'Sign up' : 'Sign in'}
      </button>
    </>
  );
}

function VerifyFields({ flow }: { flow: SignInFlow }) {
  return (
    <>
      <p>We sent a 6-digit code to {flow.fields.email}. Enter it to finish signing up.</p>
      <Field label="Verification code">
        {(id) => <input id={id} inputMode="numeric" autoComplete="one-time-code" required value={flow.fields.code} onChange={(e) => flow.set({ code: e.target.value })} />}
      </Field>
      <button type="submit" className="primary" disabled={flow.busy}>
        Verify
      </button>
    </>
  );
}
