// The chaos suite (scripts/chaos.sh): seeded fault injection against the real server, which the spec starts (and
// SIGKILLs and restarts) itself, in Debian's Chromium. One seed is one test; one worker (2-core machines).
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: './chaos',
  testMatch: '*.chaos.ts',
  // Per seed: a few respondents, each bounded by the spec's own step and settle limits.
  timeout: 6 * 60_000,
  expect: { timeout: 10_000 },
  retries: 0,
  workers: 1,
  fullyParallel: false,
  reporter: [['list']],
  reportSlowTests: null,
  use: {
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
});
