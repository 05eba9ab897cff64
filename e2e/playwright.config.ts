// Browser journeys: the real `quire serve` over the real PostgreSQL cluster of scripts/lib.sh, in Debian's
// Chromium (never a downloaded browser). scripts/test.sh prepares the database and exports the variables used here.
import { defineConfig } from '@playwright/test';

const port = process.env.E2E_PORT ?? '18080';
const root = `${__dirname}/..`;

export default defineConfig({
  testDir: './tests',
  // The journey on the cluster needs the cluster: scripts/cluster-journey.sh runs it (playwright.cluster.config.ts).
  // The differential test of the expression engine needs no server: scripts/xpath-diff.sh runs it
  // (playwright.xpath.config.ts).
  testIgnore: ['cluster.spec.ts', 'xpath-diff.spec.ts'],
  timeout: 60_000,
  retries: 0,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: {
    command: `${process.env.QUIRE_BIN ?? `${root}/target/release/quire`} serve`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? '',
      QUIRE_BIND: `127.0.0.1:${port}`,
      QUIRE_TOKEN_SECRET: 'e2e-secret-e2e-secret-e2e-secret-e2e',
      // Plain HTTP on loopback: the only place the Secure cookie flag may be off.
      QUIRE_SECURE_COOKIES: 'false',
      QUIRE_DIST_DIR: `${root}/client/dist`,
      QUIRE_STATIC_DIR: process.env.E2E_STATIC_DIR ?? `${root}/static`,
    },
  },
});
