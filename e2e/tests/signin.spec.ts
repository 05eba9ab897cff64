import { expect, test } from '@playwright/test';
import { answerPages, completed, newRespondents, respondentId, signIn, sql } from './helpers';

test('a wrong code gets a clear message and stays in the field to be corrected', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('#code-help')).toContainText('printed on your slip');
  await page.getByLabel('Access code').fill('AAAA-AAAA-AAAA');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('alert')).toContainText('not valid');
  await expect(page.getByLabel('Access code')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Access code')).toHaveValue('AAAA-AAAA-AAAA');
});

test('Enter in the code field signs in; Enter in an answer field does not turn the page', async ({ page }) => {
  const [code] = newRespondents(1);
  await page.goto('/');
  await page.getByLabel('Access code').fill(code);
  await page.getByLabel('Access code').press('Enter');
  await expect(page.locator('form.page')).toHaveAttribute('data-page', 'about');
  const years = page.locator('#q-years_at_school');
  await years.fill('3');
  await years.press('Enter');
  const other = page.locator('#q-home_languages_other');
  if (await other.isVisible()) await other.press('Enter');
  // Give a page turn time to happen if it were going to.
  await page.waitForTimeout(300);
  await expect(page.locator('form.page')).toHaveAttribute('data-page', 'about');
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.locator('form.page')).toHaveAttribute('data-page', 'student_01');
});

test('the survey is downloaded once, cacheable forever, and not again after a reload', async ({ page }) => {
  const [code] = newRespondents(1);
  const surveyResponses: { url: string; cache: string | undefined }[] = [];
  page.on('response', (r) => {
    if (r.url().includes('/static/surveys/')) surveyResponses.push({ url: r.url(), cache: r.headers()['cache-control'] });
  });
  await page.goto('/');
  await page.getByLabel('Access code').fill(code.toLowerCase());
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('School Climate Survey 2026');
  // The roster says student (the role is not asked): a student sees 33 of the 60 pages from the start.
  await expect(page.locator('.progress')).toContainText('Page 1 of 33');
  await answerPages(page, 0, 2);
  await page.reload();
  await expect(page.locator('form.page')).toHaveAttribute('data-page', 'student_02');
  expect(surveyResponses).toHaveLength(1);
  expect(surveyResponses[0].cache).toBe('public, max-age=31536000, immutable');
});

test('a code in the link signs in directly and leaves the address bar', async ({ page }) => {
  const [code] = newRespondents(1);
  await page.goto(`/?code=${code}`);
  await expect(page.locator('form.page')).toHaveAttribute('data-page', 'about');
  expect(new URL(page.url()).search).toBe('');
});

test('a code whose survey is complete says so (and a finish without the pages before it is refused)', async ({ page, request }) => {
  const [code] = newRespondents(1);
  const id = respondentId(code);
  const login = await (await request.post('/api/v1/login', { data: { access_code: code } })).json();
  const reply = await request.post('/api/v1/sync', {
    headers: { authorization: `Bearer ${login.token}` },
    data: {
      respondent_id: id,
      saves: [{ page_id: 'closing', revision: 1, answers: {}, client_time: new Date().toISOString(), finishes: true }],
    },
  });
  expect(reply.status()).toBe(200);
  // "Finish" means complete: the server names the first page it lacks, and does not record completion.
  const [ack] = (await reply.json()).acks;
  expect(ack.status).toBe('rejected');
  expect(ack.errors[0].field).toBe('pages.about');
  expect(completed(id)).toBe(false);
  // Completed the way a whole journey completes it (journeys.spec.ts); here only the sign-in screen is under test.
  sql(`insert into respondent_progress (respondent_id, last_page, last_revision, last_activity, completed_at)
       values ('${id}', 'closing', 1, now(), now())
       on conflict (respondent_id) do update set completed_at = now()`);
  await page.goto('/');
  await page.getByLabel('Access code').fill(code);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('This survey is already complete');
});

test('a second tab waits while the first one has the survey open, then takes over', async ({ page, context }) => {
  const [code] = newRespondents(1);
  await signIn(page, code);
  const second = await context.newPage();
  await second.goto('/');
  await expect(second.getByRole('heading', { level: 1 })).toHaveText('Quire is open in another tab');
  await page.close();
  await expect(second.getByLabel('Access code')).toBeVisible();
  await second.getByLabel('Access code').fill(code);
  await second.getByRole('button', { name: 'Start' }).click();
  await expect(second.locator('form.page')).toHaveAttribute('data-page', 'about');
});

test('signing in on another device continues from what the server holds', async ({ page, browser }) => {
  const [code] = newRespondents(1);
  await signIn(page, code);
  const given = await answerPages(page, 2, 3);
  await expect(page.locator('p.sync')).toHaveText('All answers saved', { timeout: 30_000 });
  const other = await browser.newContext();
  const second = await other.newPage();
  await signIn(second, code);
  await expect(second.locator('form.page')).toHaveAttribute('data-page', 'student_03');
  await second.getByRole('button', { name: 'Back' }).click();
  await expect(second.locator('form.page')).toHaveAttribute('data-page', 'student_02');
  const matrix = given.student_02.student_02_m1.matrix as Record<string, string>;
  for (const [statement, value] of Object.entries(matrix)) {
    await expect(second.locator(`input[name="q-student_02_m1-${statement}"][value="${value}"]`)).toBeChecked();
  }
  await other.close();
});

test('reloading the thank-you screen still says the survey is finished', async ({ page }) => {
  const [code] = newRespondents(1);
  await signIn(page, code);
  await answerPages(page, 3);
  await expect(page.locator('.done p[data-synced]')).toHaveAttribute('data-synced', 'true', { timeout: 30_000 });
  await expect(page.locator('p.sync')).toHaveText('All answers saved', { timeout: 30_000 });
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Thank you! You have finished the survey.');
  await page.getByRole('button', { name: 'Done — next person' }).click();
  await expect(page.getByLabel('Access code')).toBeVisible();
  await page.reload();
  await expect(page.getByLabel('Access code')).toBeVisible();
});

test('a Likert error names the statements still to answer and marks their rows', async ({ page }) => {
  const [code] = newRespondents(1);
  await signIn(page, code);
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.locator('form.page')).toHaveAttribute('data-page', 'student_01');
  // Only the first statement of the required matrix answered.
  await page.locator('input[name="q-student_01_m1-s1"]').first().check();
  await page.getByRole('button', { name: 'Next' }).click();
  const error = page.locator('#q-student_01_m1-err');
  await expect(error).toContainText('I feel safe in the bathrooms.');
  await expect(error).toContainText('I feel safe travelling between home and school.');
  await expect(error).not.toContainText('I feel safe in the hallways.');
  await expect(page.locator('tr[aria-invalid="true"]')).toHaveCount(3);
  await expect(page.locator('form.page')).toHaveAttribute('data-page', 'student_01');
});
