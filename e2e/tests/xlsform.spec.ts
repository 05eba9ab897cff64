// The researchers' journey, end to end in Chromium against the real server and PostgreSQL: an XLSForm written for
// the tests (e2e/fixtures/make_xlsform.py: English, Spanish and French; groups as pages; a Likert table; a calculation
// piped into a later note; a cascading choice filter; constraints with their messages) is uploaded from the admin,
// previewed in the respondent app itself (nothing stored), published and answered; its answers and its calculated
// value reach PostgreSQL, and the server refuses a save that breaks a constraint the app enforced.
import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { allSaved, createAdmin, currentAnswers, loadRoster, pressNext, respondentId, signInAsAdmin, sql } from './helpers';

const FORM = join(__dirname, '..', 'fixtures', 'school-xlsform.xlsx');
const SURVEY = 'xlsform-journey';

test('an XLSForm is uploaded, previewed in the app, answered; answers and calculations reach PostgreSQL', async ({ page, browser }) => {
  test.setTimeout(240_000);
  const email = `researcher-${Date.now()}@example.org`;
  createAdmin(email);
  await signInAsAdmin(page, email);

  // Upload the spreadsheet as it is.
  await page.getByLabel('Survey file').setInputFiles(FORM);
  await page.getByRole('button', { name: 'Upload' }).click();
  // Stored, with one warning to read: the app has no words of its own in French (its buttons stay English).
  await expect(page.locator('.result.ok')).toContainText('1 warning(s)');
  await expect(page.locator('.result.ok li')).toContainText('no words of its own in `fr`');
  await page.getByRole('link', { name: 'Continue to the survey' }).click();
  await expect(page.getByRole('heading', { name: `Survey ${SURVEY}` })).toBeVisible();

  // The preview is the respondent app on this version: constraint messages, the choice filter, piping, languages.
  const saves = sql('select count(*) from page_saves');
  await page.getByRole('link', { name: 'Preview' }).first().click();
  await expect(page.locator('p.sync')).toContainText('Preview');
  await expect(page.getByRole('heading', { name: 'About you' })).toBeVisible();
  await page.getByLabel('Your first name').fill('Ada');
  await expect(page.getByText('How old are you, Ada?')).toBeVisible();
  await page.getByLabel('How old are you, Ada?').fill('25');
  await page.getByLabel('North', { exact: true }).check();
  await expect(page.getByLabel('Northtown')).toBeVisible();
  await expect(page.getByLabel('Southport')).toBeHidden();
  await page.getByLabel('Northtown').check();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByText('Ages 8 to 19 only')).toBeVisible();
  await page.getByLabel('How old are you, Ada?').fill('15');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByText('Hello Ada: next year you will be 16.')).toBeVisible();
  await page.getByLabel('Language').selectOption('fr');
  await expect(page.getByText("Bonjour Ada : l'an prochain tu auras 16 ans.")).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Ton école' })).toBeVisible();
  await page.waitForTimeout(1_000);
  expect(sql('select count(*) from page_saves'), 'the preview stores nothing').toEqual(saves);

  // Published, a respondent answers it.
  await page.goto(`/admin/surveys/${SURVEY}`);
  await page.getByRole('button', { name: 'Publish' }).click();
  await expect(page.getByText('published: new respondents get this version')).toBeVisible();
  const [row] = loadRoster('school,class,role,external_id,name\nOak,1,student,X1,Ada\n', SURVEY);
  const context = await browser.newContext();
  const r = await context.newPage();
  await r.goto(`/?code=${row.access_code}`);
  await r.getByLabel('Your first name').fill('Ada');
  await r.getByLabel('How old are you, Ada?').fill('15');
  await r.getByLabel('South', { exact: true }).check();
  await r.getByLabel('Southport').check();
  await pressNext(r, 'about');
  await expect(r.getByText('Hello Ada: next year you will be 16.')).toBeVisible();
  const table = r.locator('[data-question="feelings"]');
  await table.getByRole('radio', { name: /I feel safe at school.*Agree/ }).first().check();
  await table.getByRole('radio', { name: /Adults here like me.*Disagree/ }).first().check();
  await pressNext(r, 'school');
  // The survey's own words for a missing answer, with the name piped in.
  await r.locator('form.page button[type=submit]').click();
  await expect(r.getByText('Please answer this one, Ada')).toBeVisible();
  await r.getByLabel('Yes').check();
  await pressNext(r, 'older');
  await allSaved(r);

  const id = respondentId(row.access_code);
  const stored = currentAnswers(id);
  expect(stored.about).toEqual({
    first_name: { text: 'Ada' }, age: { number: 15 }, region: { choice: 'south' }, city: { choice: 'southport' },
    age_next: { text: '16' },
  });
  expect(stored.school.feelings).toEqual({ matrix: { safe: '2', liked: '1' } });
  expect(stored.older).toEqual({ job: { choice: 'y' } });

  // The server refuses what the app would not send: an age out of range, a town of the other region, a forged sum.
  const login = await (await r.request.post('/api/v1/login', { data: { access_code: row.access_code } })).json();
  const save = (answers: object, revision: number) => r.request.post('/api/v1/sync', {
    headers: { authorization: `Bearer ${login.token}` },
    data: { respondent_id: id, saves: [{ page_id: 'about', revision, answers, client_time: new Date().toISOString() }] },
  });
  const base = { first_name: { text: 'Ada' }, region: { choice: 'south' }, city: { choice: 'southport' } };
  for (const [n, answers] of [
    { ...base, age: { number: 30 }, age_next: { text: '31' } },
    { ...base, age: { number: 15 }, age_next: { text: '16' }, city: { choice: 'northtown' } },
    { ...base, age: { number: 15 }, age_next: { text: '99' } },
  ].entries()) {
    const reply = await (await save(answers, 1000 + n)).json();
    expect(reply.acks[0].status, JSON.stringify(reply)).toBe('rejected');
  }
  expect(currentAnswers(id).about.age).toEqual({ number: 15 });
  await context.close();
});
