/** The sign-in page's state machine: sign in ↔ sign up, then the code step when the server asks for one. */
import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../../api/client.ts';
import { sendVerificationCode, signIn, signUp, verifyEmail } from '../../api/auth.ts';
import type { AuthInfo } from '../../api/types.ts';

export type Mode = 'sign-in' | 'sign-up' | 'verify';

export interface SignInFlow {
  mode: Mode;
  fields: { name: string; email: string; password: string; code: string };
  set(p: Partial<SignInFlow['fields']>): void;
  error: unknown;
  setError(err: unknown): void;
  busy: boolean;
  switchTo(mode: Mode): void;
  submit(e: FormEvent): void;
}

export function useSignInFlow(info: AuthInfo | undefined): SignInFlow {
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<Mode>('sign-in');
  const [fields, setFields] = useState({ name: '', email: '', password: '', code: '' });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const otp = Boolean(info?.methods.email_otp_verification);
  const signedIn = () => queryClient.invalidateQueries({ queryKey: ['me'] });

  async function signInOrVerify(): Promise<void> {
    try {
      await signIn({ email: fields.email, password: fields.password });
      await signedIn();
    } catch (err) {
      // An unverified email: the server refuses with 403; send a new code and ask for it.
      if (!(err instanceof ApiError && err.status === 403 && otp)) throw err;
      await sendVerificationCode(fields.email);
      setMode('verify');
    }
  }

  async function run(): Promise<void> {
    if (mode === 'sign-in') return signInOrVerify();
    if (mode === 'verify') {
      await verifyEmail({ email: fields.email, otp: fields.code.trim() });
      await signedIn();
      return;
    }
    await signUp({ name: fields.name.trim() || fields.email.split('@')[0]!, email: fields.email, password: fields.password });
    if (otp) setMode('verify');
    else await signedIn();
  }

  return {
    mode,
    fields,
    set: (p) => setFields((f) => ({ ...f, ...p })),
    error,
    setError,
    busy,
    switchTo(next) {
      setMode(next);
      setError(null);
    },
    submit(e) {
      e.preventDefault();
      setError(null);
      setBusy(true);
      run()
        .catch(setError)
        .finally(() => setBusy(false));
    },
  };
}
