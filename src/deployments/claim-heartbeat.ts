/**
 * Keeps a deployment run's claim alive while its executor works: every third of the claim's
 * lifetime the expiry moves forward, under the claim's owner and fencing token. A renewal that
 * changes nothing means another instance took the run over; the heartbeat stops and `lost` tells
 * the executor to stop too (its outcome write is fenced as well). A renewal that fails (database
 * unreachable) is logged and tried again at the next beat.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store.ts';
import type { RunClaim } from '../store/deployment-runs-repository.ts';
import type { Clock } from '../lib/clock.ts';

export interface ClaimHeartbeat {
  /** True once a renewal found the claim held by someone else. */
  readonly lost: boolean;
  stop(): void;
}

export function holdClaim(deps: { store: Store; clock: Clock; claimTtlMs: number; logger?: Logger }, runId: string, claim: RunClaim): ClaimHeartbeat {
  let lost = false;
  let beating = false;
  const timer = setInterval(() => {
    if (beating) return;
    beating = true;
    deps.store.deploymentRuns.renew(runId, claim, deps.clock.now() + deps.claimTtlMs)
      .then((held) => {
        if (held || lost) return;
        lost = true;
        clearInterval(timer);
        deps.logger?.warn({ run: runId, owner: claim.owner, token: claim.token }, 'deployment run claim was taken over by another instance; this executor stops');
      })
      .catch((err: unknown) => deps.logger?.warn({ err, run: runId }, 'could not renew a deployment run claim; retrying at the next beat'))
      .finally(() => (beating = false));
  }, Math.max(1, Math.floor(deps.claimTtlMs / 3)));
  timer.unref();
  return {
    get lost() {
      return lost;
    },
    stop: () => clearInterval(timer),
  };
}
