// The differential test of the expression engine against Enketo's openrosa-xpath-evaluator (scripts/xpath-diff.sh):
// a blank page in Debian's Chromium, no server. UTC and en-US, because the evaluator reads dates in the browser's
// time zone and names months in its locale, and the Rust engine assumes UTC and English.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: './tests',
  testMatch: 'xpath-diff.spec.ts',
  timeout: 120_000,
  retries: 0,
  workers: 1,
  reporter: [['list']],
  use: {
    timezoneId: 'UTC',
    locale: 'en-US',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
});
