import { expect, test } from '@playwright/test';
import { newRespondents } from './helpers';

test('a wrong code gets a clear message', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Access code').fill('AAAA-AAAA-AAAA');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('alert')).toContainText('not valid');
});

test('a respondent signs in and the survey is downloaded once, cacheable forever', async ({ page }) => {
  const [code] = newRespondents(1);
  const surveyResponses: { url: string; cache: string | undefined }[] = [];
  page.on('response', (r) => {
    if (r.url().includes('/static/surveys/')) surveyResponses.push({ url: r.url(), cache: r.headers()['cache-control'] });
  });
  await page.goto('/');
  await page.getByLabel('Access code').fill(code.toLowerCase());
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('School Climate Survey 2026');
  await expect(page.getByRole('status')).toContainText('60 pages');
  expect(surveyResponses).toHaveLength(1);
  expect(surveyResponses[0].cache).toBe('public, max-age=31536000, immutable');
});
