// A school coordinator's survey window: the dashboard shows only their school, by class and by role; the list of
// people says who has not started and who stopped where; reminder slips print for exactly the people ticked, in each
// one's language, with the app's address and a QR code; the list downloads as CSV. Pages pass axe-core and fit a phone.
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { allSaved, answerPages, createAdmin, expectAccessible, fitsThePhone, guideShot, loadRoster, signIn, signInAsAdmin } from './helpers';

const SURVEY = '/admin/surveys/school-climate-2026';

test('a coordinator sees their school, chases who has not started with slips, and downloads the list', async ({ page, browser }) => {
  const run = `${Date.now()}`;
  const school = `Oak ${run}`;
  const people = loadRoster(['school,class,role,external_id,name,language',
    `${school},3A,student,${run}-1,Ada Ruiz,es`, `${school},3A,student,${run}-2,Bo Chen,en`,
    `${school},3A,parent,${run}-3,Carmen Ruiz,Spanish`, `${school},3B,student,${run}-4,Dan Poe,`].join('\n') + '\n');
  const code = (name: string) => people.find((p) => p.name === name)?.access_code ?? '';
  const email = `coord-${run}@example.org`;
  createAdmin(email, ['--role', 'coordinator', '--school', school, '--survey', 'school-climate-2026']);

  // Ada starts: two pages saved.
  const ada = await browser.newPage();
  await signIn(ada, code('Ada Ruiz'));
  await answerPages(ada, 1, 2);
  await allSaved(ada);
  await ada.close();

  await signInAsAdmin(page, email);
  await page.goto(`${SURVEY}/dashboard`);
  await expect(page.getByRole('heading', { name: `school-climate-2026: ${school}` })).toBeVisible();
  const rows = page.locator('#dashboard tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText('3A');
  await expect(page.locator('#dashboard .summary')).toContainText('0 of 4 completed');
  await expectAccessible(page);
  await guideShot(page, 'dashboard');
  await page.getByRole('link', { name: 'By role' }).click();
  await expect(page.locator('#dashboard tbody tr')).toHaveCount(2);
  await expect(page.locator('#dashboard tbody')).toContainText('parent');
  await page.getByRole('link', { name: 'By class' }).click();

  // Class 3A's people: Ada in progress on page 2, the other two not started.
  await page.getByRole('link', { name: 'People of 3A' }).click();
  const table = page.locator('table.people tbody');
  await expect(table.locator('tr')).toHaveCount(3);
  await expect(table.locator('tr', { hasText: 'Ada Ruiz' })).toContainText('In progress');
  await expect(table.locator('tr', { hasText: 'Ada Ruiz' })).toContainText('2 of 60');
  await expect(table.locator('tr', { hasText: 'Bo Chen' })).toContainText('Not started');
  await expectAccessible(page);
  await guideShot(page, 'people-list');

  // The CSV of this list: their school only, with each status.
  const downloading = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download this list (CSV)' }).click();
  const csv = readFileSync((await (await downloading).path())!, 'utf8');
  expect(csv.split('\n')[0].replace(/^\uFEFF/, '')).toBe('school,class,role,external_id,name,status,last_page,last_activity');
  expect(csv).toContain(`${run}-1,Ada Ruiz,in_progress,2 of 60`);
  expect(csv).toContain(`${run}-2,Bo Chen,not_started`);
  expect(csv).not.toContain(`${run}-4`);

  // Tick Bo and Carmen (not started), print: exactly their two slips, Carmen's in Spanish.
  await page.getByRole('checkbox', { name: 'Pick Bo Chen' }).check();
  await page.getByRole('checkbox', { name: 'Pick Carmen Ruiz' }).check();
  await page.getByRole('button', { name: 'Print reminder slips for the people ticked' }).click();
  const slips = page.locator('.slip');
  await expect(slips).toHaveCount(2);
  await expect(slips.filter({ hasText: 'Bo Chen' })).toContainText('Reminder: your survey is waiting');
  const carmen = slips.filter({ hasText: 'Carmen Ruiz' });
  await expect(carmen).toHaveAttribute('lang', 'es');
  await expect(carmen).toContainText('Recordatorio: su encuesta le espera');
  await expect(carmen).toContainText(code('Carmen Ruiz'));
  await expect(carmen.getByRole('img', { name: /^QR code of http:\/\/127\.0\.0\.1:\d+\/$/ })).toBeVisible();
  // The access code is on paper only: in no link and in no address the browser keeps.
  expect(page.url()).not.toContain(code('Carmen Ruiz').replace(/-/g, ''));
  const hrefs = await page.locator('[href]').evaluateAll((els) => els.map((e) => e.getAttribute('href') ?? ''));
  for (const p of people) expect(hrefs.join(' ')).not.toContain(p.access_code);
  await expectAccessible(page);
  await guideShot(page, 'reminder-slips');

  // Another school is not theirs.
  const other = await page.request.get(`${SURVEY}/respondents?school=Lincoln%20Elementary`);
  expect(other.status()).toBe(403);

  // On a phone: nothing wider than the screen.
  await page.setViewportSize({ width: 375, height: 800 });
  for (const path of [`${SURVEY}/dashboard`, `${SURVEY}/respondents?class=3A`, '/admin']) {
    await page.goto(path);
    await fitsThePhone(page);
  }
});
