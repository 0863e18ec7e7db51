/**
 * Sign in, sign up, and the one-time code step when the server requires a verified email. The
 * Google button appears when /auth-info says Google is configured.
 */
import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../../api/client.ts';
import { sendVerificationCode, signIn, signInWithGoogle, signUp, useAuthInfo, verifyEmail } from '../../api/auth.ts';
import { ErrorNote } from '../../components/ErrorNote.tsx';
import { Field } from '../../components/Field.tsx';

type Mode = 'sign-in' | 'sign-up' | 'verify';

export function SignInPage() {
  const info = useAuthInfo().data;
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<Mode>('sign-in');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const signedIn = () => queryClient.invalidateQueries({ queryKey: ['me'] });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      if (mode === 'sign-up') {
        await signUp({ name: name.trim() || email.split('@')[0]!, email, password });
        if (info?.methods.email_otp_verification) setMode('verify');
        else await signedIn();
      } else if (mode === 'sign-in') {
        try {
          await signIn({ email, password });
          await signedIn();
        } catch (err) {
          // An unverified email: the server refuses with 403; a new code is on its way.
          if (err instanceof ApiError && err.status === 403 && info?.methods.email_otp_verification) {
            await sendVerificationCode(email);
            setMode('verify');
          } else throw err;
        }
      } else {
        await verifyEmail({ email, otp: code.trim() });
        await signedIn();
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const title = mode === 'sign-up' ? 'Create your account' : mode === 'verify' ? 'Check your email' : 'Sign in to the Console';
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark" /> open managed agents
        </div>
        <h1>{title}</h1>
        <form onSubmit={submit} className="stack">
          {mode === 'verify' ? (
            <>
              <p>We sent a 6-digit code to {email}. Enter it to finish signing up.</p>
              <Field label="Verification code">
                {(id) => <input id={id} inputMode="numeric" autoComplete="one-time-code" required value={code} onChange={(e) => setCode(e.target.value)} />}
              </Field>
              <button type="submit" className="primary" disabled={busy}>
                Verify
              </button>
            </>
          ) : (
            <>
              {mode === 'sign-up' ? (
                <Field label="Name">{(id) => <input id={id} autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />}</Field>
              ) : null}
              <Field label="Email">
                {(id) => <input id={id} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />}
              </Field>
              <Field label="Password" hint={mode === 'sign-up' ? 'At least 8 characters.' : undefined}>
                {(id) => (
                  <input id={id} type="password" autoComplete={mode === 'sign-up' ? 'new-password' : 'current-password'} required minLength={mode === 'sign-up' ? 8 : undefined} value={password} onChange={(e) => setPassword(e.target.value)} />
                )}
              </Field>
              <button type="submit" className="primary" disabled={busy}>
                {mode === 'sign-up' ? 'Sign up' : 'Sign in'}
              </button>
            </>
          )}
          <ErrorNote error={error} />
        </form>
        {info?.methods.google && mode !== 'verify' ? (
          <button type="button" className="google" onClick={() => signInWithGoogle().catch(setError)}>
            Continue with Google
          </button>
        ) : null}
        {mode !== 'verify' ? (
          <p className="switch-mode">
            {mode === 'sign-in' ? 'New here?' : 'Already have an account?'}{' '}
            <button type="button" className="link" onClick={() => { setMode(mode === 'sign-in' ? 'sign-up' : 'sign-in'); setError(null); }}>
              {mode === 'sign-in' ? 'Sign up' : 'Sign in'}
            </button>
          </p>
        ) : null}
      </div>
    </main>
  );
}
