/** /v1/vaults and /v1/vaults/{vault_id}/credentials */
import type { App } from '../context.ts';
import { route } from '../route.ts';
import { parseBody, parseQuery } from '../validation.ts';
import {
  credentialCreateSchema, credentialSchema, credentialUpdateSchema, credentialValidationSchema,
  vaultCreateSchema, vaultSchema, vaultUpdateSchema,
} from '../schemas/vaults.ts';
import { emptyBodySchema, includeArchivedSchema, pageOf, pageQuerySchema } from '../schemas/common.ts';
import type { VaultService } from '../../vault/vault-service.ts';
import type { CredentialValidator } from '../../vault/credential-validator.ts';

const listQuery = pageQuerySchema.extend({ include_archived: includeArchivedSchema });
type Ctx = { req: { param(n: string): string | undefined } };
const vaultId = (c: Ctx) => c.req.param('vault_id')!;
const credentialId = (c: Ctx) => c.req.param('credential_id')!;

export function mountVaultRoutes(app: App, deps: { vaults: VaultService; credentialValidator: CredentialValidator }): void {
  const tag = 'Vaults';
  const { vaults } = deps;
  route(app, { method: 'post', path: '/v1/vaults', summary: 'Create a vault', tag, body: vaultCreateSchema, response: vaultSchema }, async (c) => {
    return c.json(await vaults.create(c.get('principal').tenantId, await parseBody(c, vaultCreateSchema)));
  });
  route(app, { method: 'get', path: '/v1/vaults', summary: 'List vaults', tag, query: listQuery, response: pageOf(vaultSchema, 'VaultPage') }, async (c) => {
    const q = parseQuery(c, listQuery);
    return c.json(await vaults.list(c.get('principal').tenantId, { limit: q.limit ?? 20, page: q.page, includeArchived: q.include_archived }));
  });
  route(app, { method: 'get', path: '/v1/vaults/{vault_id}', summary: 'Retrieve a vault', tag, response: vaultSchema }, async (c) => {
    return c.json(await vaults.get(c.get('principal').tenantId, vaultId(c)));
  });
  route(app, { method: 'post', path: '/v1/vaults/{vault_id}', summary: 'Update a vault', tag, body: vaultUpdateSchema, response: vaultSchema }, async (c) => {
    return c.json(await vaults.update(c.get('principal').tenantId, vaultId(c), await parseBody(c, vaultUpdateSchema)));
  });
  route(app, { method: 'post', path: '/v1/vaults/{vault_id}/archive', summary: 'Archive a vault and its credentials', tag, body: emptyBodySchema, response: vaultSchema }, async (c) => {
    await parseBody(c, emptyBodySchema);
    return c.json(await vaults.archive(c.get('principal').tenantId, vaultId(c)));
  });
  route(app, { method: 'delete', path: '/v1/vaults/{vault_id}', summary: 'Delete a vault and its credentials', tag }, async (c) => {
    return c.json(await vaults.delete(c.get('principal').tenantId, vaultId(c)));
  });
  mountCredentialRoutes(app, deps);
}

function mountCredentialRoutes(app: App, deps: { vaults: VaultService; credentialValidator: CredentialValidator }): void {
  const tag = 'Vault credentials';
  const { vaults } = deps;
  const base = '/v1/vaults/{vault_id}/credentials';
  route(app, { method: 'post', path: base, summary: 'Create a credential', tag, body: credentialCreateSchema, response: credentialSchema }, async (c) => {
    return c.json(await vaults.createCredential(c.get('principal').tenantId, vaultId(c), await parseBody(c, credentialCreateSchema)));
  });
  route(app, { method: 'get', path: base, summary: 'List credentials', tag, query: listQuery, response: pageOf(credentialSchema, 'CredentialPage') }, async (c) => {
    const q = parseQuery(c, listQuery);
    return c.json(await vaults.listCredentials(c.get('principal').tenantId, vaultId(c), { limit: q.limit ?? 20, page: q.page, includeArchived: q.include_archived }));
  });
  route(app, { method: 'get', path: `${base}/{credential_id}`, summary: 'Retrieve a credential', tag, response: credentialSchema }, async (c) => {
    return c.json(await vaults.getCredential(c.get('principal').tenantId, vaultId(c), credentialId(c)));
  });
  route(app, { method: 'post', path: `${base}/{credential_id}`, summary: 'Update a credential', tag, body: credentialUpdateSchema, response: credentialSchema }, async (c) => {
    return c.json(await vaults.updateCredential(c.get('principal').tenantId, vaultId(c), credentialId(c), await parseBody(c, credentialUpdateSchema)));
  });
  route(app, { method: 'post', path: `${base}/{credential_id}/archive`, summary: 'Archive a credential', tag, body: emptyBodySchema, response: credentialSchema }, async (c) => {
    await parseBody(c, emptyBodySchema);
    return c.json(await vaults.archiveCredential(c.get('principal').tenantId, vaultId(c), credentialId(c)));
  });
  route(app, { method: 'delete', path: `${base}/{credential_id}`, summary: 'Delete a credential', tag }, async (c) => {
    return c.json(await vaults.deleteCredential(c.get('principal').tenantId, vaultId(c), credentialId(c)));
  });
  route(
    app,
    { method: 'post', path: `${base}/{credential_id}/mcp_oauth_validate`, summary: 'Validate an MCP OAuth credential', tag, body: emptyBodySchema, response: credentialValidationSchema },
    async (c) => {
      await parseBody(c, emptyBodySchema);
      return c.json(await deps.credentialValidator.validate(c.get('principal').tenantId, vaultId(c), credentialId(c)));
    },
  );
}
