/** The SDK's console output, filtered by `setLogLevel` (TIM's levels 0-4). */
export class Logger {
  level = 1;

  debug(...args) {
    if (this.level <= 0) console.debug('[TIM]', ...args);
  }

  info(...args) {
    if (this.level <= 1) console.info('[TIM]', ...args);
  }

  warn(...args) {
    if (this.level <= 2) console.warn('[TIM]', ...args);
  }

  error(...args) {
    if (this.level <= 3) console.error('[TIM]', ...args);
  }
}
