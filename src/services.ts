/** Builds the services over one store and hub; the harness plugs in through SessionLifecycle. */
import type { Store } from './store/store.ts';
import type { EventHub } from './events/hub.ts';
import { EventLog } from './events/log.ts';
import { AgentService } from './agents/agent-service.ts';
import { EnvironmentService } from './environments/environment-service.ts';
import { SessionService, type SessionLifecycle } from './sessions/session-service.ts';
import { SessionEventsService } from './sessions/session-events-service.ts';
import { ModelCardService } from './model-cards/model-card-service.ts';
import type { SecretBox } from './vault/secret-box.ts';

export interface Services {
  store: Store;
  log: EventLog;
  agents: AgentService;
  environments: EnvironmentService;
  sessions: SessionService;
  sessionEvents: SessionEventsService;
  /** Seals and opens every secret kept at rest (vault credentials, model-card keys, tokens); see vault/secret-box.ts. */
  secretBox: SecretBox;
  modelCards: ModelCardService;
}

export interface ServiceDependencies {
  store: Store;
  hub: EventHub;
  lifecycle: SessionLifecycle;
  secretBox: SecretBox;
}

export function createServices({ store, hub, lifecycle, secretBox }: ServiceDependencies): Services {
  const log = new EventLog(store, hub);
  const agents = new AgentService(store);
  const environments = new EnvironmentService(store);
  const sessions = new SessionService({ store, agents, environments, log, lifecycle });
  const sessionEvents = new SessionEventsService({ store, log, sessions, lifecycle });
  const modelCards = new ModelCardService({ store, secretBox });
  return { store, log, agents, environments, sessions, sessionEvents, secretBox, modelCards };
}
