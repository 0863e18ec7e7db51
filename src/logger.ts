/** The process logger: JSON lines (pino); secrets are redacted by key name. */
import pino, { type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'oma-server' },
    redact: {
      paths: ['*.apiKey', '*.api_key', '*.key', '*.token', '*.password', '*.secret', '*.authorization', '*["x-api-key"]', 'secrets'],
      censor: '[redacted]',
    },
  });
}
