// The journey on the cluster (scripts/cluster-journey.sh): the respondent app in Debian's Chromium against the HTTP
// frontend of scripts/cluster.sh, whose nodes the spec SIGKILLs and starts again. No webServer: the cluster is the
// server, and the script brings it up (or finds it up) and exports what `scripts/cluster.sh env` prints.
import base from './playwright.config';
import { defineConfig } from '@playwright/test';

const frontend = process.env.QUIRE_CLUSTER_HTTP;
if (!frontend) throw new Error('QUIRE_CLUSTER_HTTP is not set: run scripts/cluster-journey.sh');

export default defineConfig({
  ...base,
  testMatch: 'cluster.spec.ts',
  testIgnore: [],
  webServer: undefined,
  // Two node kills and a restart each, on a 2-core machine that also runs three PostgreSQL members.
  timeout: 5 * 60_000,
  use: { ...base.use, baseURL: frontend },
});
