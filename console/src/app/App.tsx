/** Routes: the sign-in gate, then the pages inside the shell. */
import { Navigate, Route, Routes } from 'react-router';
import { useAuthInfo, useMe } from '../api/auth.ts';
import { ErrorNote } from '../components/ErrorNote.tsx';
import { SignInPage } from '../routes/auth/SignInPage.tsx';
import { AgentsPage } from '../routes/agents/AgentsPage.tsx';
import { AgentPage } from '../routes/agents/AgentPage.tsx';
import { NewAgentPage, EditAgentPage } from '../routes/agents/AgentEditPages.tsx';
import { SessionsPage } from '../routes/sessions/SessionsPage.tsx';
import { SessionPage } from '../routes/sessions/SessionPage.tsx';
import { EnvironmentsPage } from '../routes/environments/EnvironmentsPage.tsx';
import { ApiKeysPage } from '../routes/api-keys/ApiKeysPage.tsx';
import { MembersPage } from '../routes/members/MembersPage.tsx';
import { VaultsPage } from '../routes/vaults/VaultsPage.tsx';
import { VaultPage } from '../routes/vaults/VaultPage.tsx';
import { MemoryPage } from '../routes/memory/MemoryPage.tsx';
import { MemoryStorePage } from '../routes/memory/MemoryStorePage.tsx';
import { ModelsPage } from '../routes/models/ModelsPage.tsx';
import { DeploymentsPage } from '../routes/deployments/DeploymentsPage.tsx';
import { DeploymentPage } from '../routes/deployments/DeploymentPage.tsx';
import { FilesPage } from '../routes/files/FilesPage.tsx';
import { SkillsPage } from '../routes/skills/SkillsPage.tsx';
import { SkillPage } from '../routes/skills/SkillPage.tsx';
import { WebhooksPage } from '../routes/webhooks/WebhooksPage.tsx';
import { WebhookPage } from '../routes/webhooks/WebhookPage.tsx';
import { Layout } from './Layout.tsx';

export function App() {
  const info = useAuthInfo();
  const me = useMe();
  if (info.error) return <main className="auth-page"><ErrorNote error={info.error} /></main>;
  if (info.isPending || me.isPending) return <p className="loading-screen">Loading…</p>;
  if (me.error) return <main className="auth-page"><ErrorNote error={me.error} /></main>;
  if (!me.data) return <SignInPage />;
  return (
    <Routes>
      <Route element={<Layout me={me.data} />}>
        <Route index element={<Navigate to="/sessions" replace />} />
        <Route path="agents" element={<AgentsPage />} />
        <Route path="agents/new" element={<NewAgentPage />} />
        <Route path="agents/:agentId" element={<AgentPage />} />
        <Route path="agents/:agentId/edit" element={<EditAgentPage />} />
        <Route path="sessions" element={<SessionsPage />} />
        <Route path="sessions/:sessionId" element={<SessionPage />} />
        <Route path="environments" element={<EnvironmentsPage />} />
        <Route path="deployments" element={<DeploymentsPage />} />
        <Route path="deployments/:deploymentId" element={<DeploymentPage />} />
        <Route path="vaults" element={<VaultsPage />} />
        <Route path="vaults/:vaultId" element={<VaultPage />} />
        <Route path="memory" element={<MemoryPage />} />
        <Route path="memory/:storeId" element={<MemoryStorePage />} />
        <Route path="files" element={<FilesPage />} />
        <Route path="skills" element={<SkillsPage />} />
        <Route path="skills/:skillId" element={<SkillPage />} />
        <Route path="models" element={<ModelsPage />} />
        <Route path="webhooks" element={<WebhooksPage />} />
        <Route path="webhooks/:webhookId" element={<WebhookPage />} />
        <Route path="api-keys" element={<ApiKeysPage />} />
        <Route path="members" element={<MembersPage />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

function NotFound() {
  return (
    <section className="page">
      <h1>Page not found</h1>
      <p>There is nothing at this address. Pick a page from the navigation.</p>
    </section>
  );
}
