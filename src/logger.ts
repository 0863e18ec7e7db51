/**
 * The process logger (pino): JSON lines with ISO times, or with LOG_FORMAT=pretty (the default when
 * stdout is a terminal) one readable line per record through pino-pretty. Secrets are redacted by
 * key name in both formats.
 */
import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

/** pino-pretty (~10 MB resident) is loaded only for the pretty format; a JSON logger never needs it. */
const loadPretty = (): typeof PinoPretty => createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;

export type LogFormat = 'json' | 'pretty';

export function createLogger(level: string, format: LogFormat = 'json'): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'oma-server' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['*.apiKey', '*.api_key', '*.key', '*.token', '*.password', '*.secret', '*.authorization', '*["x-api-key"]', 'secrets'],
      censor: '[redacted]',
    },
  };
  if (format === 'json') return pino(options);
  // In-thread and synchronous (no transport worker): a line is on the terminal before the next one is logged.
  return pino(options, loadPretty()({ sync: true, colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' }));
}
