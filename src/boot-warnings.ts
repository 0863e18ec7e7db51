/** Loud boot-time warnings: generated secrets to back up, auth disabled, no sandbox isolation. */
import type { Logger } from 'pino';
import type { Config } from './config/schema.ts';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function logBootWarnings(config: Config, logger: Logger): void {
  for (const name of config.generatedSecrets) {
    logger.warn(`generated ${name} on first boot — BACK IT UP. Losing PLATFORM_ROOT_SECRET makes every encrypted credential unreadable; losing BETTER_AUTH_SECRET signs everyone out.`);
  }
  if (config.auth.disabled) {
    const exposed = !LOOPBACK.has(config.host);
    const message = `AUTH_DISABLED=1: every request acts as tenant "default" with no credentials${exposed ? ` — and HOST=${config.host} is reachable from other machines. Anyone who can reach this port controls the server. Set HOST=127.0.0.1 or turn auth back on.` : ''}`;
    if (exposed) logger.error(message);
    else logger.warn(message);
  }
  if (config.auth.requireEmailVerify && !config.auth.smtp && !config.auth.disabled) {
    logger.warn('AUTH_REQUIRE_EMAIL_VERIFY=1 but SMTP_HOST is not set: sign-up codes are written to this log instead of being emailed. Set SMTP_HOST (+ SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_FROM) or replace createEmailSender in src/auth/email.ts.');
  }
}
