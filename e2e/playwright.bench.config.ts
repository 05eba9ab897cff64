// Benchmarks in the browser (scripts/bench-client.sh): the same server and Chromium as the journeys, other tests.
import base from './playwright.config';
import { defineConfig } from '@playwright/test';

export default defineConfig({ ...base, testDir: './bench', testMatch: '*.bench.ts', timeout: 300_000 });
