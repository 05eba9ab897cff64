// Issue 13, "no request can harm others": the respondent app's service worker has the whole origin as its scope and
// stays installed after the respondent leaves. On a shared school computer the next person may be an administrator:
// in that same browser the admin pages and their CSV downloads must come from the server, not the respondent app.
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { adminPassword, createAdmin, serviceWorkerReady } from './helpers';

/** Clicks what starts a download and returns the file's name and text. */
async function download(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const downloading = page.waitForEvent('download', { timeout: 15_000 });
  await click();
  const file = await downloading;
  return { name: file.suggestedFilename(), text: readFileSync((await file.path())!, 'utf8') };
}

test('after the respondent app, the same browser reaches the admin pages and downloads real CSV', async ({ page }) => {
  const email = `sw-admin-${Date.now()}@example.org`;
  createAdmin(email);

  // A respondent opened Quire on this computer: the service worker is installed and controls the origin.
  await page.goto('/');
  await expect(page.getByLabel('Access code')).toBeVisible();
  await serviceWorkerReady(page);
  const app = await page.reload();
  expect(app?.fromServiceWorker()).toBe(true); // the worker still serves the app itself

  // The admin sign-in page is the server's, not the app shell.
  const login = await page.goto('/admin/login');
  expect(login?.fromServiceWorker(), '/admin/login must not be answered by the service worker').toBe(false);
  await expect(page.getByLabel('Access code')).toHaveCount(0);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Surveys' })).toBeVisible();
  // So is an admin address that does not exist: the server's 404, not the app with 200.
  const missing = await page.goto('/admin/no-such-page');
  expect(missing?.fromServiceWorker()).toBe(false);
  expect(missing?.status()).toBe(404);

  await page.goto('/admin');
  await page.getByRole('link', { name: 'school-climate-2026' }).click();
  await expect(page.getByRole('heading', { name: 'Survey school-climate-2026' })).toBeVisible();

  // The downloads, through the page as an administrator makes them: a link and the export form (a GET navigation).
  const codes = await download(page, () => page.getByRole('link', { name: 'All codes (CSV)' }).click());
  expect(codes.name).toBe('codes-school-climate-2026.csv');
  expect(codes.text.split('\n')[0]).toBe('school,class,role,external_id,name,access_code');
  expect(codes.text).not.toMatch(/<html|<!doctype/i);
  const responses = await download(page, () => page.getByRole('button', { name: 'Responses (CSV)' }).click());
  // The responses are the analysis bundle's data.csv (docs/researchers.md).
  expect(responses.name).toBe('school-climate-2026-data.csv');
  expect(responses.text.split('\n')[0]).toMatch(
    /^respondent_id,school,class,role,external_id,survey_version,status,first_save,last_activity,completed_at,duration_min,/);
  expect(responses.text).not.toMatch(/<html|<!doctype/i);
  const bundle = await download(page, () => page.getByRole('button', { name: 'Bundle (zip)' }).click());
  expect(bundle.name).toBe('school-climate-2026-bundle.zip');
  expect(bundle.text.startsWith('PK\u0003\u0004')).toBe(true);

  // And the respondent app still opens from the worker, with the next person's sign-in screen.
  const back = await page.goto('/');
  expect(back?.fromServiceWorker()).toBe(true);
  await expect(page.getByLabel('Access code')).toBeVisible();
});
