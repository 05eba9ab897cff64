// Results, end to end in Chromium against the real server and PostgreSQL: respondents answer a short survey, the
// administrator opens the results from the survey page, sees bars for a school over the response-rate threshold,
// "suppressed" for a class of three (and for its sibling, which would give it away by subtraction), a school under
// the threshold left out, and downloads the same numbers as CSV.
import { expect, test } from '@playwright/test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdmin, expectAccessible, guideShot, pressNext, signInAsAdmin, sql, allSaved } from './helpers';

function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'quire-results-')), name);
  writeFileSync(path, text);
  return path;
}

function surveyFile(id: string): string {
  const text = (en: string) => ({ en });
  return file('survey.json', JSON.stringify({
    id,
    title: text('Results journey survey'),
    default_language: 'en',
    pages: [
      { id: 'p1', title: text('First'), questions: [
        { id: 'safe', text: text('Do you feel safe at school?'), type: 'single_choice', required: true,
          choices: [{ code: '1', label: text('Yes') }, { code: '2', label: text('No') }] },
      ] },
      { id: 'p2', title: text('Second'), questions: [
        { id: 'note', text: text('Anything else?'), type: 'free_text', max_length: 200 },
      ] },
    ],
  }));
}

test('respondents answer → the administrator reads results with small groups suppressed → CSV', async ({ page, browser }) => {
  test.setTimeout(240_000);
  const run = `${Date.now()}`;
  const surveyId = `results-journey-${run}`;
  const email = `results-${run}@example.org`;
  createAdmin(email);
  await signInAsAdmin(page, email);
  await page.getByLabel('Survey file').setInputFiles(surveyFile(surveyId));
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page.getByRole('heading', { name: `Survey ${surveyId}` })).toBeVisible();
  await page.getByRole('button', { name: 'Publish' }).click();
  await expect(page.getByText('published: new respondents get this version')).toBeVisible();

  // Oak: class 1 of six, class 2 of three; Elm: ten invited, two will answer (20%, under the 50% threshold).
  const rows = ['school,class,role,external_id,name'];
  for (let i = 1; i <= 6; i++) rows.push(`Oak,1,student,O${i},`);
  for (let i = 7; i <= 9; i++) rows.push(`Oak,2,student,O${i},`);
  for (let i = 1; i <= 10; i++) rows.push(`Elm,1,student,E${i},`);
  await page.getByLabel('Roster file').setInputFiles(file('roster.csv', rows.join('\n') + '\n'));
  await page.locator('form[action$="/roster"] button').click();
  await expect(page.locator('form[action$="/roster"] .result.ok')).toContainText('19 respondent(s)');

  const codes = sql(`select access_code from respondents where survey_id = '${surveyId}'
      and (school = 'Oak' or external_id in ('E1', 'E2')) order by external_id`);
  expect(codes).toHaveLength(11);
  for (const code of codes) {
    const context = await browser.newContext();
    const r = await context.newPage();
    await r.goto(`/?code=${code}`);
    await expect(r.locator('form.page')).toBeVisible();
    await r.getByLabel('Yes').check();
    await pressNext(r, 'p1');
    await pressNext(r, 'p2');
    await allSaved(r);
    await context.close();
  }

  // From the survey page to the results: all schools, Elm not reported.
  await page.reload();
  await page.getByRole('link', { name: 'Results', exact: true }).click();
  await expect(page.getByRole('heading', { name: `Results of ${surveyId}: all schools` })).toBeVisible();
  await expect(page.getByText(/Not reported .*Elm \(20%\)/)).toBeVisible();
  await expectAccessible(page);
  await page.getByRole('link', { name: 'Oak', exact: true }).click();

  // Oak: nine respondents, bars for the question, its numbers in a table beside them.
  await expect(page.getByRole('heading', { name: `Results of ${surveyId}: Oak` })).toBeVisible();
  await expect(page.getByText('9 respondents')).toBeVisible();
  await expect(page.locator('svg.chart rect')).toHaveCount(2);
  await expect(page.getByRole('img', { name: /Yes: 9; No: 0/ })).toBeVisible();
  await expect(page.getByRole('row', { name: /Yes 9 100\.0%/ })).toBeVisible();
  await expect(page.getByText('Text answers are never shown.')).toBeVisible();
  await expectAccessible(page);
  await guideShot(page, 'results');

  // The same numbers as CSV.
  const downloading = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download these numbers (CSV)' }).click();
  const csv = readFileSync((await (await downloading).path())!, 'utf8').trim().split('\n');
  expect(csv[0]).toBe('level,district,school,class,role,respondents,question,statement,answer,count,share_percent,answered');
  expect(csv).toContain('school,,Oak,,all,9,safe,,Yes,9,100.0,9');
  expect(csv).toContain('school,,Oak,,all,9,note,,(answered),0,,0');

  // Usable on a phone: nothing wider than the screen.
  await page.setViewportSize({ width: 375, height: 800 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await page.setViewportSize({ width: 1280, height: 800 });

  // Class 2 (three people) shows nothing; class 1 neither, or Oak - class 1 would give class 2.
  const level = page.getByRole('navigation', { name: 'Level' });
  for (const name of ['2', '1']) {
    if (name === '1') await level.getByRole('link', { name: 'Oak' }).click();
    await page.getByRole('link', { name, exact: true }).click();
    await expect(page.getByRole('heading', { name: `Results of ${surveyId}: Oak, class ${name}` })).toBeVisible();
    await expect(page.locator('.withheld')).toContainText('Suppressed');
    await expect(page.locator('svg.chart')).toHaveCount(0);
  }
  await expectAccessible(page);

  // By role: students are everyone here; the filter keeps the level.
  await page.getByRole('navigation', { name: 'Level' }).getByRole('link', { name: 'Oak' }).click();
  await page.getByRole('navigation', { name: 'Role' }).getByRole('link', { name: 'Students' }).click();
  await expect(page.getByText('9 respondents')).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Role' }).getByRole('link', { name: 'Students' })).toHaveAttribute('aria-current', 'page');

  const audit = sql(`select action from audit_log where admin_email = '${email}' and action = 'export.results'`);
  expect(audit).toHaveLength(1);
});

test('the settings, and every kind of question of the demo survey, read well and pass axe-core', async ({ page }) => {
  test.setTimeout(180_000);
  const email = `results-settings-${Date.now()}@example.org`;
  createAdmin(email);
  await signInAsAdmin(page, email);
  await page.goto('/admin/surveys/school-climate-2026/results');
  // With the defaults nobody reports yet; lowered to show everything, every question is drawn (with zeros).
  await page.getByText('Privacy settings of this survey').click();
  await page.getByLabel(/Smallest number of people shown/).fill('1');
  await page.getByLabel(/Response rate a school needs/).fill('0');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.locator('details.settings .result.ok')).toContainText('Saved');
  await expect(page.getByText(/The smallest shown cell is 1, under the advised 5/)).toBeVisible({ timeout: 10_000 });
  await expect(page.locator('svg.chart').first()).toBeVisible();
  await expectAccessible(page);
  await page.setViewportSize({ width: 375, height: 800 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  const audit = sql(`select detail->>'min_cell' from audit_log where admin_email = '${email}' and action = 'results.settings'`);
  expect(audit).toEqual(['[5, 1]']);
  // Back to the defaults for whatever runs next.
  const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
  const res = await page.request.post('/admin/surveys/school-climate-2026/results/settings', {
    headers: { 'X-CSRF-Token': csrf ?? '' }, data: { min_cell: 5, min_response_rate: 0.5 },
  });
  expect(res.status()).toBe(200);
});
