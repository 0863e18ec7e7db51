/** The shell: brand, navigation, the signed-in user (workspace switcher, Sign out), then the page. */
import { NavLink, Outlet, useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { signOut } from '../api/auth.ts';
import type { Me } from '../api/types.ts';
import { setCurrentTenant } from '../lib/tenant.ts';

const NAV = [
  { to: '/agents', label: 'Agents' },
  { to: '/sessions', label: 'Sessions' },
  { to: '/deployments', label: 'Deployments' },
  { to: '/environments', label: 'Environments' },
  { to: '/vaults', label: 'Vaults' },
  { to: '/memory', label: 'Memory' },
  { to: '/files', label: 'Files' },
  { to: '/skills', label: 'Skills' },
  { to: '/models', label: 'Models' },
  { to: '/webhooks', label: 'Webhooks' },
  { to: '/api-keys', label: 'API keys' },
  { to: '/members', label: 'Members' },
];

export function Layout({ me }: { me: Me }) {
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" /> <span>open managed agents</span>
        </div>
        <Account me={me} />
      </header>
      <nav className="mainnav" aria-label="Main">
        <ul>
          {NAV.map((n) => (
            <li key={n.to}>
              <NavLink to={n.to}>{n.label}</NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" className="content">
        <Outlet />
      </main>
    </div>
  );
}

function Account({ me }: { me: Me }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  async function onSignOut() {
    await signOut();
    setCurrentTenant(null);
    // Signed out: nothing of this user's data stays in memory; the gate shows the sign-in page.
    queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' && q.queryKey[0] !== 'auth-info' });
    queryClient.setQueryData(['me'], null);
    navigate('/');
  }
  function switchTenant(id: string) {
    setCurrentTenant(id);
    navigate('/');
    void queryClient.resetQueries();
  }
  return (
    <div className="account">
      {me.tenants.length > 1 ? (
        <>
          <label htmlFor="workspace" className="visually-hidden">
            Workspace
          </label>
          <select id="workspace" className="workspace" value={me.tenant.id} onChange={(e) => switchTenant(e.target.value)}>
            {me.tenants.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </>
      ) : null}
      <span className="tenant" title={me.tenant.id}>
        {me.user ? me.user.email : me.tenant.name}
      </span>
      {me.via === 'session' ? (
        <button type="button" onClick={() => void onSignOut()}>
          Sign out
        </button>
      ) : null}
    </div>
  );
}
