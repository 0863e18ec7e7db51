/**
 * The one place auth email leaves the server. SMTP when SMTP_HOST is set; otherwise the message
 * (with its one-time code) goes to the server log with a warning, so a single-user install can
 * still sign up. To send through Resend, SES, Postmark…, replace `createEmailSender`'s body.
 * nodemailer (~15 MB resident) is imported with the first email, not at boot.
 */
import type { Logger } from 'pino';
import { lazy } from '../lib/lazy.ts';
import type { Config } from '../config/schema.ts';

export interface AuthEmail {
  to: string;
  subject: string;
  text: string;
}

export type EmailSender = (email: AuthEmail) => Promise<void>;

export function createEmailSender(smtp: Config['auth']['smtp'], logger: Logger): EmailSender {
  if (!smtp) {
    return async (email) => {
      logger.warn({ to: email.to, subject: email.subject }, `SMTP_HOST is not set, so this email was not sent; it is logged instead: ${email.text}`);
    };
  }
  const transport = lazy(async () =>
    (await import('nodemailer')).default.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.port === 465,
      auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
    }),
  );
  return async (email) => {
    try {
      await (await transport()).sendMail({ from: smtp.from, to: email.to, subject: email.subject, text: email.text });
    } catch (err) {
      logger.error({ to: email.to, err: (err as Error).message }, `sending email through SMTP ${smtp.host}:${smtp.port} failed`);
      throw err;
    }
  };
}
