// People and access, end to end in Chromium against the real server and PostgreSQL: an administrator creates a
// coordinator, who signs in with the password shown once and sees only their school; the administrator disables
// them and their next request goes to sign-in; their failed sign-in shows in the audit log filtered by them, and the
// filtered CSV downloads. axe-core on both pages, and nothing overflows a phone's width.
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { createAdmin, expectAccessible, guideShot, signInAsAdmin } from './helpers';

const SURVEY = 'school-climate-2026';
const SCHOOL = 'Roosevelt Middle';

/** At a phone's width the document itself never scrolls sideways (wide tables scroll inside their wrapper). */
async function expectNoOverflowOnAPhone(page: Page) {
  const size = page.viewportSize();
  await page.setViewportSize({ width: 375, height: 740 });
  const [scroll, client] = await page.evaluate(() =>
    [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  expect(scroll, `horizontal overflow on ${page.url()}`).toBeLessThanOrEqual(client);
  await expectAccessible(page);
  if (size) await page.setViewportSize(size);
}

test('an administrator creates, disables and audits a coordinator', async ({ page, browser }) => {
  const run = `${Date.now()}`;
  const boss = `people-boss-${run}@example.org`;
  const coord = `people-coord-${run}@example.org`;
  createAdmin(boss);
  await page.setViewportSize({ width: 1280, height: 900 });
  await signInAsAdmin(page, boss);

  // Create the coordinator: one school, the demo survey; the password is shown once.
  await page.getByRole('link', { name: 'People' }).click();
  await expect(page.getByRole('heading', { name: 'People and access' })).toBeVisible();
  await expectAccessible(page);
  const form = page.locator('form[action="/admin/people"]');
  await form.getByLabel('Email').fill(coord);
  await form.getByLabel('Role').selectOption('coordinator');
  await form.getByLabel(/^School/).fill(SCHOOL);
  await form.getByLabel(SURVEY).check();
  await form.getByRole('button', { name: 'Create' }).click();
  await expect(form.locator('.result.ok')).toContainText('shown once');
  const password = (await form.locator('code.secret').textContent()) ?? '';
  expect(password).toMatch(/^[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){3}$/);

  await page.reload();
  const row = page.getByRole('row').filter({ hasText: coord });
  await expect(row).toContainText(SCHOOL);
  await expect(row).toContainText('active');
  await expect(page.locator('body')).not.toContainText(password);
  await expectAccessible(page);
  await expectNoOverflowOnAPhone(page);
  await guideShot(page, 'people');

  // The coordinator signs in with it and sees only their school.
  const theirs = await browser.newContext();
  const coordPage = await theirs.newPage();
  await coordPage.goto('/admin/login');
  await coordPage.getByLabel('Email').fill(coord);
  await coordPage.getByLabel('Password').fill(password);
  await coordPage.getByRole('button', { name: 'Sign in' }).click();
  await expect(coordPage.getByRole('heading', { name: 'Surveys' })).toBeVisible();
  await expect(coordPage.getByRole('link', { name: 'People' })).toHaveCount(0);
  await coordPage.goto(`/admin/surveys/${SURVEY}/dashboard`);
  await expect(coordPage.getByRole('heading', { name: `${SURVEY}: ${SCHOOL}` })).toBeVisible();
  await expect(coordPage.locator('#dashboard tbody tr')).toHaveCount(2);
  await expect(coordPage.locator('#dashboard tbody')).not.toContainText('Lincoln');
  expect((await coordPage.request.get(`/admin/surveys/${SURVEY}/progress?school=Lincoln%20Elementary`)).status())
    .toBe(403);
  expect((await coordPage.request.get('/admin/people')).status()).toBe(403);

  // Disabled: their very next request goes to sign-in, and signing in again fails.
  await row.getByRole('button', { name: `Disable ${coord}` }).click();
  await expect(page.getByRole('row').filter({ hasText: coord })).toContainText('disabled');
  await coordPage.reload();
  await expect(coordPage).toHaveURL(/\/admin\/login$/);
  await coordPage.getByLabel('Email').fill(coord);
  await coordPage.getByLabel('Password').fill(password);
  await coordPage.getByRole('button', { name: 'Sign in' }).click();
  await expect(coordPage.getByRole('alert')).toContainText('do not match');
  await theirs.close();

  // From the keyboard alone: a new password for them, shown once in their row.
  await page.getByRole('button', { name: `Reset password ${coord}` }).focus();
  await page.keyboard.press('Enter');
  const fresh = page.getByRole('row').filter({ hasText: coord }).locator('code.secret');
  await expect(fresh).toHaveText(/^[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){3}$/);
  expect(await fresh.textContent()).not.toBe(password);

  // The failed sign-in, in the audit log filtered by that person.
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByLabel('Person (email)').fill(coord);
  await page.getByLabel('Person (email)').press('Enter');
  await expect(page).toHaveURL(/email=/);
  const entries = page.locator('table.list tbody tr');
  await expect(entries.filter({ hasText: 'sign_in_failed' })).toContainText('"reason":"disabled"');
  await expect(entries.filter({ hasText: 'person.disable' })).toHaveCount(1);
  await expect(entries.filter({ hasText: 'person.create' })).toHaveCount(1);
  await expect(entries.filter({ hasText: 'person.reset_password' })).toHaveCount(1);
  await expectAccessible(page);
  await expectNoOverflowOnAPhone(page);
  await guideShot(page, 'audit');

  // The CSV is exactly the filtered rows.
  const shown = await entries.count();
  const downloading = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download these entries as CSV' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('audit.csv');
  const lines = readFileSync((await download.path())!, 'utf8').trim().split('\n');
  expect(lines[0]).toBe('id,when_utc,who,action,survey,detail');
  expect(lines.length - 1).toBe(shown);
  expect(lines.slice(1).every((l) => l.includes(coord))).toBe(true);
  expect(lines.some((l) => l.includes('sign_in_failed'))).toBe(true);
});
