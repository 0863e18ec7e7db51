/** Sign-in state: the server's sign-in methods and the caller (`/v1/me`; a 401 means signed out). */
import { useQuery } from '@tanstack/react-query';
import { ApiError, get, post } from './client.ts';
import type { AuthInfo, Me } from './types.ts';
import { currentTenant, setCurrentTenant } from '../lib/tenant.ts';

export function useAuthInfo() {
  return useQuery({ queryKey: ['auth-info'], queryFn: () => get<AuthInfo>('/auth-info'), staleTime: Infinity });
}

/**
 * The signed-in caller, or null when signed out. Asks better-auth first (200 with null when signed
 * out), so a signed-out visit makes no failing request.
 */
export function useMe() {
  const info = useAuthInfo().data;
  return useQuery({
    queryKey: ['me'],
    enabled: info !== undefined,
    queryFn: async () => {
      if (!info?.auth_disabled && !(await get<{ session?: unknown } | null>('/api/auth/get-session'))) return null;
      try {
        return await get<Me>('/v1/me');
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        // The chosen workspace is no longer one of the user's: fall back to their own.
        if (err instanceof ApiError && (err.status === 403 || err.status === 404) && currentTenant()) {
          setCurrentTenant(null);
          return await get<Me>('/v1/me');
        }
        throw err;
      }
    },
    retry: false,
  });
}

export const signUp = (body: { name: string; email: string; password: string }) => post<unknown>('/api/auth/sign-up/email', body);
export const signIn = (body: { email: string; password: string }) => post<unknown>('/api/auth/sign-in/email', body);
export const signOut = () => post<unknown>('/api/auth/sign-out', {});
export const verifyEmail = (body: { email: string; otp: string }) => post<unknown>('/api/auth/email-otp/verify-email', body);
export const sendVerificationCode = (email: string) => post<unknown>('/api/auth/email-otp/send-verification-otp', { email, type: 'email-verification' });

/** Starts Google sign-in: the server answers with the provider's URL, and the page goes there. */
export async function signInWithGoogle(): Promise<void> {
  const res = await post<{ url?: string }>('/api/auth/sign-in/social', { provider: 'google', callbackURL: '/' });
  if (res.url) window.location.assign(res.url);
}
