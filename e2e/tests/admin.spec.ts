// The administrators' journey, end to end in Chromium against the real server and PostgreSQL: sign in, upload a
// survey, publish it, load a roster, get the codes (CSV and printed slips), a respondent completes the survey with
// one of those codes, and the dashboard, left open, shows it by itself.
import { expect, test } from '@playwright/test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allSaved, answerPages, createAdmin, signInAsAdmin, sql } from './helpers';

/** A two-page survey of its own, so this journey is short and does not touch the demo survey. */
function surveyFile(id: string): string {
  const text = (en: string) => ({ en });
  const survey = {
    id,
    title: text('Admin journey survey'),
    default_language: 'en',
    pages: [
      { id: 'p1', title: text('First'), questions: [
        { id: 'mood', text: text('How is your day?'), type: 'single_choice', required: true,
          choices: [{ code: '1', label: text('Good') }, { code: '2', label: text('Bad') }] },
      ] },
      { id: 'p2', title: text('Second'), questions: [
        { id: 'note', text: text('Anything else?'), type: 'free_text', max_length: 200 },
      ] },
    ],
  };
  const dir = mkdtempSync(join(tmpdir(), 'quire-admin-'));
  const file = join(dir, 'survey.json');
  writeFileSync(file, JSON.stringify(survey));
  return file;
}

test('upload → publish → roster → codes → a respondent completes → the dashboard shows it', async ({ page, browser }) => {
  const run = `${Date.now()}`;
  const surveyId = `admin-journey-${run}`;
  const email = `admin-${run}@example.org`;
  createAdmin(email);
  await signInAsAdmin(page, email);

  // A broken file first: every problem is listed with its JSON path and nothing is stored.
  const broken = join(mkdtempSync(join(tmpdir(), 'quire-admin-')), 'broken.json');
  writeFileSync(broken, readFileSync(surveyFile(surveyId), 'utf8').replace('"choices":[', '"choices":[{"code":"1","label":{"en":"Again"}},'));
  await page.getByLabel('Survey file').setInputFiles(broken);
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page.locator('.result.error')).toContainText('nothing was stored');
  await expect(page.locator('.result.error li').first()).toContainText('$.pages[0].questions[0]');
  expect(sql(`select count(*) from surveys where survey_id = '${surveyId}'`)).toEqual(['0']);

  await page.getByLabel('Survey file').setInputFiles(surveyFile(surveyId));
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page.getByRole('heading', { name: `Survey ${surveyId}` })).toBeVisible();

  // Preview, then publish.
  await page.getByRole('link', { name: 'Preview' }).click();
  await expect(page.getByText('How is your day?')).toBeVisible();
  await page.goBack();
  await page.getByRole('button', { name: 'Publish' }).click();
  await expect(page.getByText('published: new respondents get this version')).toBeVisible();
  const [version] = sql(`select current_version from surveys where survey_id = '${surveyId}'`);
  expect((await page.request.get(`/static/surveys/${version}.json`)).status()).toBe(200);

  // A roster with an error is refused whole; the fixed one loads.
  const rosterDir = mkdtempSync(join(tmpdir(), 'quire-admin-'));
  const bad = join(rosterDir, 'bad.csv');
  writeFileSync(bad, 'school,class,role,external_id,name\nOak,1,student,A1,Ada\nOak,1,alien,A2,\n');
  await page.getByLabel('Roster file').setInputFiles(bad);
  await page.locator('form[action$="/roster"] button').click();
  await expect(page.locator('form[action$="/roster"] .result.error')).toContainText('line 3');
  expect(sql(`select count(*) from respondents where survey_id = '${surveyId}'`)).toEqual(['0']);
  const good = join(rosterDir, 'good.csv');
  writeFileSync(good, 'school,class,role,external_id,name\nOak,1,student,A1,Ada\nOak,1,student,A2,Bo\nOak,2,student,A3,Cy\n');
  await page.getByLabel('Roster file').setInputFiles(good);
  await page.locator('form[action$="/roster"] button').click();
  await expect(page.locator('form[action$="/roster"] .result.ok')).toContainText('3 respondent(s)');

  // Codes: the CSV download and a printed slip per respondent of class 1.
  await page.reload();
  const downloading = page.waitForEvent('download');
  await page.getByRole('link', { name: 'CSV', exact: true }).click();
  const csv = readFileSync((await (await downloading).path())!, 'utf8').trim().split('\n');
  expect(csv[0]).toBe('school,class,role,external_id,name,access_code');
  const ada = csv.find((l) => l.includes(',A1,'))!.split(',').pop()!;
  expect(ada).toMatch(/^[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}$/);
  await page.getByRole('link', { name: '1', exact: true }).click();
  await expect(page.locator('.slip')).toHaveCount(2);
  await expect(page.locator('.slip').first()).toContainText(ada);

  // The dashboard, opened before anyone starts, refreshes by itself.
  await page.goto(`/admin/surveys/${surveyId}/dashboard`);
  await expect(page.locator('.summary')).toHaveText(/0 of 3 completed/);

  const respondent = await browser.newContext();
  const r = await respondent.newPage();
  await r.goto(`/?code=${ada}`);
  await expect(r.locator('form.page')).toBeVisible();
  await answerPages(r, 1);
  await allSaved(r);
  await respondent.close();

  await expect(page.locator('.summary')).toHaveText(/1 of 3 completed \(33\.3%\)/, { timeout: 15_000 });
  const oak = page.locator('tbody tr', { hasText: 'Oak' });
  await expect(oak).toContainText('33.3%');
  await oak.getByRole('link', { name: 'Oak', exact: true }).click();
  await expect(page.locator('tbody tr', { hasText: /^1/ }).first()).toContainText('50.0%');

  // The export holds Ada's answers.
  const exported = await page.request.get(`/admin/surveys/${surveyId}/export.csv`);
  expect(exported.status()).toBe(200);
  const lines = (await exported.text()).trim().split('\n');
  expect(lines[0]).toContain('mood,note');
  // status 2: completed (the analysis bundle's data.csv; docs/researchers.md).
  expect(lines.find((l) => l.includes(',A1,'))).toMatch(/,A1,[0-9a-f]+,2,/);

  const audit = sql(`select action from audit_log where admin_email = '${email}' order by id`);
  expect(audit).toEqual(expect.arrayContaining(['sign_in', 'survey.upload', 'survey.publish', 'roster.upload',
    'codes.download', 'codes.print', 'export.analysis']));
});

test('a coordinator sees only their own school', async ({ page }) => {
  const email = `coord-${Date.now()}@example.org`;
  createAdmin(email, ['--role', 'coordinator', '--school', 'Roosevelt Middle', '--survey', 'school-climate-2026']);
  await signInAsAdmin(page, email);
  await page.getByRole('link', { name: 'school-climate-2026' }).click();
  // No survey versions, publishing or exports for a coordinator; codes for their school only.
  await expect(page.getByRole('heading', { name: 'Versions' })).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Export' })).toHaveCount(0);
  await expect(page.locator('table.list tbody tr')).toHaveCount(1);
  await expect(page.locator('table.list tbody tr')).toContainText('Roosevelt Middle');
  await page.getByRole('link', { name: 'Completion dashboard' }).click();
  await expect(page.getByRole('heading', { name: 'school-climate-2026: Roosevelt Middle' })).toBeVisible();
  await expect(page.locator('tbody tr')).toHaveCount(2); // classes A and B
  const other = await page.request.get('/admin/surveys/school-climate-2026/progress?school=Lincoln%20Elementary');
  expect(other.status()).toBe(403);
  expect((await other.json()).error.code).toBe('forbidden');
  expect((await page.request.get('/admin/surveys/school-climate-2026/export.csv')).status()).toBe(403);
});
