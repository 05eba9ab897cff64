import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = `${__dirname}/../..`;

/** Adds fresh respondents to the demo survey through the real `quire roster` command; returns their codes. */
export function newRespondents(n: number, role = 'student'): string[] {
  const run = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const rows = Array.from({ length: n }, (_, i) => `E2E School,1A,${role},${run}-${i},`);
  const dir = mkdtempSync(join(tmpdir(), 'quire-e2e-'));
  const file = join(dir, 'roster.csv');
  writeFileSync(file, ['school,class,role,external_id,name', ...rows].join('\n') + '\n');
  const out = execFileSync(process.env.QUIRE_BIN ?? `${root}/target/release/quire`,
    ['roster', file, '--survey', 'school-climate-2026'],
    { env: { ...process.env, DATABASE_URL: process.env.E2E_DATABASE_URL ?? '' }, encoding: 'utf8' });
  const lines = out.trim().split('\n').slice(1);
  return lines.map((l) => l.split(',').pop() ?? '');
}
