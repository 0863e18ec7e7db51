/**
 * The workspace (tenant) the Console acts in, for users who belong to several: sent as the
 * x-oma-tenant header on every API request; unset means the user's own workspace.
 */
const STORAGE_KEY = 'oma.tenant';

export function currentTenant(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage blocked: act in the default workspace
  }
}

export function setCurrentTenant(id: string | null): void {
  if (id) window.localStorage.setItem(STORAGE_KEY, id);
  else window.localStorage.removeItem(STORAGE_KEY);
}

/** The header to add to a request, if a workspace was chosen. */
export function tenantHeader(): Record<string, string> {
  const id = currentTenant();
  return id ? { 'x-oma-tenant': id } : {};
}
