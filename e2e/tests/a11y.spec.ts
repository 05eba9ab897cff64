// Accessibility and language: what a keyboard or screen-reader user and a Spanish-speaking parent rely on.
import { expect, test } from '@playwright/test';
import { answerPages, newRespondents, signIn } from './helpers';

test('errors are tied to their fields and focus moves to them, then to each new page heading', async ({ page }) => {
  const [code] = newRespondents(1);
  await signIn(page, code);
  await page.getByRole('button', { name: 'Next' }).click();
  // Focus lands on the first question to fix (its first input); the summary above is announced as an alert.
  await expect(page.getByRole('radio', { name: 'Student' })).toBeFocused();
  await expect(page.locator('#error-summary')).toHaveText('Please check the questions marked below before you go on.');
  const role = page.locator('[data-question=role]');
  await expect(role).toHaveAttribute('aria-invalid', 'true');
  await expect(role).toHaveAttribute('aria-describedby', 'q-role-err');
  await expect(page.locator('#q-role-err')).toHaveText('this question is required');
  // Only the keyboard from here: pick "Student" and go on.
  await page.getByRole('radio', { name: 'Student' }).focus();
  await page.keyboard.press('Space');
  await expect(page.locator('#q-role-err')).toHaveText('');
  await page.getByRole('button', { name: 'Next' }).press('Enter');
  await expect(page.locator('#page-title')).toBeFocused();
  await expect(page.locator('form.page')).toHaveAttribute('data-page', 'student_01');
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
  await expect(page.getByRole('radio', { name: 'Estudiante' })).toBeVisible();
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
  await expect(page.locator('form.page')).toBeVisible();
  await page.getByRole('button', { name: 'Siguiente' }).click();
  await expect(page.locator('#error-summary')).toHaveText('Revise las preguntas marcadas antes de continuar.');
  await expect(page.locator('#q-role-err')).toHaveText('esta pregunta es obligatoria');
  await page.locator('input[name="q-role"][value="student"]').check();
  await context.setOffline(true);
  await page.locator('#q-grade').selectOption({ index: 1 });
  await page.getByRole('button', { name: 'Siguiente' }).click();
  await expect(page.locator('p.sync')).toHaveText('Guardado en esta computadora: se enviará cuando vuelva la conexión', { timeout: 15_000 });
  await context.setOffline(false);
});
