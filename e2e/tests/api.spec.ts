// A survey window driven through the admin API alone, with a token made by `quire create-token`: upload, publish,
// roster, codes, progress while respondents answer in Chromium, and the analysis bundle read by pandas.
import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allSaved, answerPages, createAdmin } from './helpers';

const root = `${__dirname}/../..`;
const quire = process.env.QUIRE_BIN ?? `${root}/target/release/quire`;
const python = process.env.QUIRE_PYTHON ?? `${root}/.quire/venv/bin/python`;

function survey(id: string) {
  const text = (en: string, es: string) => ({ en, es });
  return {
    id,
    title: text('API window', 'Ventana API'),
    default_language: 'en',
    languages: ['es'],
    pages: [
      { id: 'p1', title: text('First', 'Primera'), questions: [
        { id: 'mood', text: text('How is your day?', '¿Cómo va tu día?'), type: 'single_choice', required: true,
          choices: [{ code: '1', label: text('Good', 'Bien') }, { code: '2', label: text('Bad', 'Mal') }] },
      ] },
      { id: 'p2', title: text('Second', 'Segunda'), questions: [
        { id: 'note', text: text('Anything else?', '¿Algo más?'), type: 'free_text', max_length: 200 },
      ] },
    ],
  };
}

test('a survey window through the admin API alone, down to the bundle read by pandas', async ({ browser, request }) => {
  const run = `${Date.now()}`;
  const surveyId = `api-window-${run}`;
  const email = `api-${run}@example.org`;
  createAdmin(email);
  const token = execFileSync(quire, ['create-token', '--email', email, '--name', 'e2e survey window'],
    { env: { ...process.env, DATABASE_URL: process.env.E2E_DATABASE_URL ?? '' }, encoding: 'utf8' }).trim();
  expect(token).toMatch(/^qat_/);
  const auth = { authorization: `Bearer ${token}` };
  const api = `/api/admin/v1/surveys`;

  let res = await request.post(api, { headers: { ...auth, 'content-type': 'application/json' },
    data: JSON.stringify(survey(surveyId)) });
  expect(res.status(), await res.text()).toBe(201);
  const { version } = await res.json();
  res = await request.post(`${api}/${surveyId}/versions/${version}/publish`, { headers: auth });
  expect(res.ok(), await res.text()).toBe(true);
  res = await request.post(`${api}/${surveyId}/roster`, { headers: { ...auth, 'content-type': 'text/csv' },
    data: 'school,class,role,external_id,name\nElm,1,student,E1,Ema\nElm,1,student,E2,Eli\nElm,2,student,E3,Eve\n' });
  expect(res.status(), await res.text()).toBe(201);
  res = await request.get(`${api}/${surveyId}/codes.csv`, { headers: auth });
  const codes = Object.fromEntries((await res.text()).trim().split('\n').slice(1)
    .map((l) => l.split(',')).map((f) => [f[3], f[5]]));
  expect(Object.keys(codes).sort()).toEqual(['E1', 'E2', 'E3']);

  // E1 finishes, E2 answers the first page only, E3 never starts.
  const given: Record<string, Record<string, Record<string, Record<string, unknown>>>> = {};
  for (const [who, pages] of [['E1', Infinity], ['E2', 1]] as const) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`/?code=${codes[who]}`);
    await expect(page.locator('form.page')).toBeVisible();
    given[who] = await answerPages(page, who === 'E1' ? 3 : 4, pages);
    await allSaved(page);
    await context.close();
  }

  res = await request.get(`${api}/${surveyId}/progress`, { headers: auth });
  const progress = await res.json();
  expect(progress.totals).toMatchObject({ total: 3, not_started: 1, in_progress: 1, completed: 1 });

  res = await request.get(`${api}/${surveyId}/exports/analysis/bundle.zip?lang=es`, { headers: auth });
  expect(res.status()).toBe(200);
  const dir = mkdtempSync(join(tmpdir(), 'quire-api-'));
  writeFileSync(join(dir, 'bundle.zip'), await res.body());
  const mood = (who: string) => String((given[who].p1.mood as { choice: string }).choice);
  const note = given.E1.p2?.note as { text?: string } | undefined;
  const expected = {
    E1: { status: '2', mood: mood('E1'), note: note?.text ?? '-99' },
    E2: { status: '1', mood: mood('E2'), note: '-98' },
    E3: { status: '0', mood: '-98', note: '-98' },
  };
  const check = `
import json, sys, zipfile
import pandas as pd
z = zipfile.ZipFile(sys.argv[1])
df = pd.read_csv(z.open("data.csv"), dtype=str, keep_default_na=False, encoding="utf-8-sig").set_index("external_id")
want = json.loads(sys.argv[2])
got = {k: {c: df.at[k, c] for c in ("status", "mood", "note")} for k in want}
assert got == want, f"{got} != {want}"
sps = z.read("data.sps").decode()
assert "mood 1 'Bien' 2 'Mal'" in sps, sps
print("pandas read", len(df), "rows:", got)
`;
  const out = execFileSync(python, ['-c', check, join(dir, 'bundle.zip'), JSON.stringify(expected)], { encoding: 'utf8' });
  expect(out).toContain('pandas read 3 rows');
});
