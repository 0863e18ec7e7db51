/**
 * Webhook endpoint rules: tenancy (a foreign id is an unknown id), destinations checked against
 * the private-address rule with VAULT_ALLOWED_PRIVATE_HOSTS as the allow-list (again at every
 * send), the signing secret generated here, sealed at rest and returned only by create and
 * rotate_secret, and redelivery on demand. Sending is the dispatcher's (dispatcher.ts).
 */
import { InvalidRequestError, NotFoundError } from '../errors.ts';
import { randomIds, type IdSource } from '../lib/ids.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import type { Store } from '../store/store.ts';
import type { WebhookTable } from '../store/schema.ts';
import type { Page } from '../store/pagination.ts';
import { toJson } from '../store/json.ts';
import type { SecretBox } from '../vault/secret-box.ts';
import { sealContext } from '../vault/sealed-columns.ts';
import type { EgressPolicy } from '../vault/egress-policy.ts';
import { BlockedDestinationError } from '../net/guarded-lookup.ts';
import type { Webhook, WebhookCreate, WebhookDelivery, WebhookUpdate, WebhookWithSecret } from '../api/schemas/webhooks.ts';
import { toDelivery, toWebhook } from './webhook-mapper.ts';
import { newSigningSecret } from './webhook-signing.ts';
import { PREVIOUS_SECRET_COLUMN, SECRET_COLUMN } from './dispatcher.ts';

export const MAX_WEBHOOKS_PER_TENANT = 50;

/** How long the replaced secret still signs deliveries after rotate_secret (receivers switch keys meanwhile). */
export const ROTATION_GRACE_MS = 24 * 3_600_000;

export class WebhookService {
  private readonly clock: Clock;
  private readonly ids: IdSource;

  constructor(private readonly deps: { store: Store; secretBox: SecretBox; policy: EgressPolicy; clock?: Clock; ids?: IdSource }) {
    this.clock = deps.clock ?? systemClock;
    this.ids = deps.ids ?? randomIds;
  }

  async create(tenantId: string, input: WebhookCreate): Promise<WebhookWithSecret> {
    await this.checkDestination(input.url);
    const count = await this.deps.store.webhooks.count(tenantId);
    if (count >= MAX_WEBHOOKS_PER_TENANT) throw new InvalidRequestError(`a tenant may have at most ${MAX_WEBHOOKS_PER_TENANT} webhook endpoints; delete one first`);
    const now = this.clock.now();
    const id = this.ids.next('whk');
    const secret = newSigningSecret();
    const row: WebhookTable = {
      id, tenant_id: tenantId, url: input.url, description: input.description ?? null, event_types: toJson(unique(input.event_types ?? [])),
      status: 'enabled', disabled_reason: null, secret: this.deps.secretBox.seal(sealContext(SECRET_COLUMN, tenantId, id), secret),
      previous_secret: null, previous_secret_expires_at: null, failing_since: null, lease_owner: null, lease_until: null, created_at: now, updated_at: now,
    };
    await this.deps.store.webhooks.insert(row);
    return { ...toWebhook(row), secret };
  }

  /** The tenant's endpoint row; NotFoundError for unknown and foreign ids alike. */
  private async getRow(tenantId: string, id: string): Promise<WebhookTable> {
    const row = await this.deps.store.webhooks.find(tenantId, id);
    if (!row) throw new NotFoundError(`webhook ${JSON.stringify(id)} not found`);
    return row;
  }

  async get(tenantId: string, id: string): Promise<Webhook> {
    return toWebhook(await this.getRow(tenantId, id));
  }

  async list(tenantId: string, options: { limit: number; page?: string }): Promise<Page<Webhook>> {
    const page = await this.deps.store.webhooks.list(tenantId, options);
    return { data: page.data.map(toWebhook), next_page: page.next_page };
  }

  async update(tenantId: string, id: string, input: WebhookUpdate): Promise<Webhook> {
    const row = await this.getRow(tenantId, id);
    if (input.url !== undefined && input.url !== row.url) await this.checkDestination(input.url);
    const now = this.clock.now();
    const patch: Partial<WebhookTable> = { updated_at: now };
    if (input.url !== undefined) patch.url = input.url;
    if (input.description !== undefined) patch.description = input.description;
    if (input.event_types !== undefined) patch.event_types = toJson(unique(input.event_types));
    if (input.status === 'enabled' && row.status !== 'enabled') Object.assign(patch, { status: 'enabled', disabled_reason: null, failing_since: null });
    if (input.status === 'disabled' && row.status !== 'disabled') Object.assign(patch, { status: 'disabled', disabled_reason: 'disabled by an update' });
    await this.deps.store.webhooks.update(tenantId, id, patch);
    return this.get(tenantId, id);
  }

  async delete(tenantId: string, id: string): Promise<{ id: string; type: 'webhook_deleted' }> {
    const deleted = await this.deps.store.transaction((tx) => tx.webhooks.delete(tenantId, id));
    if (!deleted) throw new NotFoundError(`webhook ${JSON.stringify(id)} not found`);
    return { id, type: 'webhook_deleted' };
  }

  /** A new secret (returned once); the old one keeps signing alongside it for ROTATION_GRACE_MS. */
  async rotateSecret(tenantId: string, id: string): Promise<WebhookWithSecret> {
    const row = await this.getRow(tenantId, id);
    const now = this.clock.now();
    const secret = newSigningSecret();
    const old = this.deps.secretBox.open(sealContext(SECRET_COLUMN, tenantId, id), row.secret);
    await this.deps.store.webhooks.update(tenantId, id, {
      secret: this.deps.secretBox.seal(sealContext(SECRET_COLUMN, tenantId, id), secret),
      previous_secret: this.deps.secretBox.seal(sealContext(PREVIOUS_SECRET_COLUMN, tenantId, id), old),
      previous_secret_expires_at: now + ROTATION_GRACE_MS,
      updated_at: now,
    });
    return { ...(await this.get(tenantId, id)), secret };
  }

  async listDeliveries(tenantId: string, id: string, options: { limit: number; page?: string }): Promise<Page<WebhookDelivery>> {
    await this.getRow(tenantId, id);
    const page = await this.deps.store.webhooks.listDeliveries(tenantId, id, options);
    const attempts = await this.deps.store.webhooks.attemptsOf(page.data.map((d) => d.id));
    return { data: page.data.map((d) => toDelivery(d, attempts.filter((a) => a.delivery_id === d.id))), next_page: page.next_page };
  }

  async getDelivery(tenantId: string, id: string, deliveryId: string): Promise<WebhookDelivery> {
    await this.getRow(tenantId, id);
    const row = await this.deps.store.webhooks.findDelivery(tenantId, id, deliveryId);
    if (!row) throw new NotFoundError(`webhook delivery ${JSON.stringify(deliveryId)} not found`);
    return toDelivery(row, await this.deps.store.webhooks.attemptsOf([row.id]));
  }

  /** Queues the delivery for an attempt now (same event id and body), whatever its state. */
  async redeliver(tenantId: string, id: string, deliveryId: string): Promise<WebhookDelivery> {
    const webhook = await this.getRow(tenantId, id);
    const row = await this.deps.store.webhooks.findDelivery(tenantId, id, deliveryId);
    if (!row) throw new NotFoundError(`webhook delivery ${JSON.stringify(deliveryId)} not found`);
    if (webhook.status !== 'enabled') {
      throw new InvalidRequestError(`webhook ${id} is ${webhook.status}; nothing is sent to it. Enable it first with POST /v1/webhooks/${id} {"status":"enabled"}`);
    }
    const now = this.clock.now();
    await this.deps.store.webhooks.updateDelivery(row.id, { state: 'pending', next_attempt_at: now, redeliver_requested_at: now, updated_at: now });
    return this.getDelivery(tenantId, id, deliveryId);
  }

  /** 400 unless the URL's host resolves only to addresses the egress policy allows. */
  private async checkDestination(url: string): Promise<void> {
    const host = new URL(url).hostname;
    try {
      await this.deps.policy.resolve(host);
    } catch (err) {
      if (err instanceof BlockedDestinationError) throw new InvalidRequestError(`url: ${err.message}`);
      throw new InvalidRequestError(`url: ${JSON.stringify(host)} does not resolve (${err instanceof Error ? err.message : String(err)}); webhook destinations must be reachable from the server`);
    }
  }
}

const unique = (values: string[]): string[] => [...new Set(values)];
