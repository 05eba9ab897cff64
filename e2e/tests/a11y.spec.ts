// Accessibility and language: what a keyboard or screen-reader user and a Spanish-speaking parent rely on.
import { expect, test } from '@playwright/test';
import {
  answerPages, createAdmin, currentAnswers, fillPage, newRespondents, respondentId, signIn, signInAsAdmin,
} from './helpers';

test('the roster answers the role; errors are tied to their fields and focus moves to them, then to each page heading', async ({ page, browser }) => {
  // A student in the roster: the role question is not asked (the roster answers it, and its pages follow); the
  // grade, which this roster row does not hold, is asked because the roster says student.
  const [code] = newRespondents(1);
  await signIn(page, code);
  await expect(page.locator('form.page')).toHaveAttribute('data-page', 'about');
  await expect(page.locator('[data-question=role]')).toBeHidden();
  await expect(page.locator('[data-question=grade]')).toBeVisible();
  await page.getByRole('button', { name: 'Next' }).press('Enter');
  await expect(page.locator('#page-title')).toBeFocused();
  await expect(page.locator('form.page')).toHaveAttribute('data-page', 'student_01');
  // Nothing answered: focus lands on the first question to fix; the summary above is announced as an alert.
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.locator('#error-summary')).toHaveText('Please check the questions marked below before you go on.');
  const likert = page.locator('[data-question=student_01_m1]');
  await expect(likert).toHaveAttribute('aria-describedby', 'q-student_01_m1-err');
  await expect(page.locator('#q-student_01_m1-err')).not.toHaveText('');
  await expect(likert.getByRole('radio').first()).toBeFocused();
  // Only the keyboard from here: every row of the matrix, then on.
  const rows = likert.getByRole('radiogroup');
  for (let i = 0; i < await rows.count(); i++) {
    await rows.nth(i).getByRole('radio').first().focus();
    await page.keyboard.press('Space');
  }
  await expect(page.locator('#q-student_01_m1-err')).toHaveText('');
  await page.getByRole('button', { name: 'Next' }).press('Enter');
  await expect(page.locator('#page-title')).toBeFocused();
  await expect(page.locator('form.page')).toHaveAttribute('data-page', 'student_02');
  // What the server holds of the first page is what the screen showed: no role, which the roster answers.
  await expect.poll(() => currentAnswers(respondentId(code)).about ?? null).not.toBeNull();
  expect(Object.keys(currentAnswers(respondentId(code)).about)).not.toContain('role');
  // The export has the roster's role as the answer to the role question (named role_2: the roster's own column
  // `role` comes first; student is its first choice).
  const admin = await browser.newPage();
  const email = `roster-${Date.now()}@example.org`;
  createAdmin(email);
  await signInAsAdmin(admin, email);
  const csv = await (await admin.request.get('/admin/surveys/school-climate-2026/export.csv?school=E2E%20School')).text();
  const [header, ...lines] = csv.replace(/^\uFEFF/, '').trim().split('\n').map((l) => l.split(','));
  const row = lines.find((r) => r[header.indexOf('respondent_id')] === respondentId(code)) ?? [];
  expect([row[header.indexOf('role')], row[header.indexOf('role_2')]]).toEqual(['student', '1']);
  await admin.close();
});

test('a Likert row is one radio group, named by statement and scale point, usable with arrow keys', async ({ page }) => {
  const [code] = newRespondents(1);
  await signIn(page, code);
  await answerPages(page, 0, 1);
  const row = page.getByRole('radiogroup').first();
  const statement = (await row.getByRole('rowheader').textContent()) ?? '';
  const first = row.getByRole('radio').first();
  await expect(first).toHaveAccessibleName(`${statement} Strongly disagree`);
  await first.focus();
  await page.keyboard.press('Space');
  await page.keyboard.press('ArrowRight');
  await expect(row.getByRole('radio').nth(1)).toBeChecked();
  await expect(first).not.toBeChecked();
});

test('the language switch translates the survey and the app, and is remembered', async ({ page }) => {
  const [code] = newRespondents(1);
  await signIn(page, code);
  await page.getByLabel('Language', { exact: true }).selectOption('es');
  await expect(page.getByLabel('Idioma', { exact: true })).toHaveValue('es');
  await expect(page.getByText('¿En qué grado estás?')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Siguiente' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('button', { name: 'Siguiente' })).toBeVisible();
});

test('on a phone-sized screen nothing scrolls sideways', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  const [code] = newRespondents(1);
  await signIn(page, code);
  await answerPages(page, 0, 1);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expect(page.locator('.scale-label').first()).toBeVisible();
});

test('in Spanish, everything the respondent reads is Spanish: sign-in, its errors, answer errors, the offline status', async ({ page, context }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Español' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Ingrese a su encuesta');
  await expect(page.locator('#code-help')).toContainText('código de acceso impreso');
  await page.getByLabel('Código de acceso').fill('AAAA-AAAA-AAAA');
  await page.getByRole('button', { name: 'Comenzar' }).click();
  await expect(page.locator('#code-error')).toContainText('no es válido');
  await expect(page.getByLabel('Código de acceso')).toHaveValue('AAAA-AAAA-AAAA');
  // The language chosen at sign-in carries into the survey.
  const [code] = newRespondents(1);
  await page.getByLabel('Código de acceso').fill(code);
  await page.getByRole('button', { name: 'Comenzar' }).click();
  await expect(page.locator('form.page')).toHaveAttribute('data-page', 'about');
  // (The roster answers the role; the grade is optional.)
  await page.locator('#q-grade').selectOption({ index: 1 });
  await page.getByRole('button', { name: 'Siguiente' }).click();
  await expect(page.locator('form.page')).toHaveAttribute('data-page', 'student_01');
  await page.getByRole('button', { name: 'Siguiente' }).click();
  await expect(page.locator('#error-summary')).toHaveText('Revise las preguntas marcadas antes de continuar.');
  await expect(page.locator('#q-student_01_m1-err')).toHaveText('esta pregunta es obligatoria');
  await context.setOffline(true);
  await fillPage(page);
  await page.getByRole('button', { name: 'Siguiente' }).click();
  await expect(page.locator('p.sync')).toHaveText('Guardado en esta computadora: se enviará cuando vuelva la conexión', { timeout: 15_000 });
  await context.setOffline(false);
});
