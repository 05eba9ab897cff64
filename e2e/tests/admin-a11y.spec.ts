// Every admin page under axe-core (no critical or serious violation) and on a phone's width (nothing wider than the
// screen), as an administrator sees them with the demo survey and roster. A page added to the admin belongs here.
import { expect, test } from '@playwright/test';
import { createAdmin, expectAccessible, fitsThePhone, signInAsAdmin, sql } from './helpers';

const SURVEY = '/admin/surveys/school-climate-2026';
const SCHOOL = 'school=Lincoln%20Elementary';

function pages(): string[] {
  const [version] = sql(`select current_version from surveys where survey_id = 'school-climate-2026'`);
  return [
    '/admin',
    SURVEY,
    `${SURVEY}/versions/${version}/preview`,
    `${SURVEY}/dashboard`,
    `${SURVEY}/dashboard?${SCHOOL}&by=role`,
    `${SURVEY}/dashboard?${SCHOOL}`,
    `${SURVEY}/respondents?${SCHOOL}`,
    `${SURVEY}/codes/print?${SCHOOL}`,
    `${SURVEY}/reminders?${SCHOOL}&status=not_started`,
    `${SURVEY}/results`,
    `${SURVEY}/results?level=school&${SCHOOL}`,
    `${SURVEY}/results?level=class&${SCHOOL}&class=A&role=student`,
    '/admin/people',
    '/admin/audit',
    '/admin/audit?action=sign_in_failed',
    '/admin/tokens',
  ];
}

test('the sign-in page passes axe-core and fits a phone', async ({ page }) => {
  await page.goto('/admin/login');
  await expectAccessible(page);
  await page.setViewportSize({ width: 375, height: 800 });
  await fitsThePhone(page);
});

for (const [name, width] of [['a desktop', 1280], ['a phone', 375]] as const) {
  test(`every admin page passes axe-core on ${name}`, async ({ page }) => {
    const email = `a11y-${Date.now()}@example.org`;
    createAdmin(email);
    await signInAsAdmin(page, email);
    await page.setViewportSize({ width, height: 900 });
    for (const path of pages()) {
      const res = await page.goto(path);
      expect(res?.status(), path).toBe(200);
      // The dashboard fills its table from JSON: check it filled.
      if (path.includes('/dashboard')) await expect(page.locator('#dashboard tbody tr').first()).toBeVisible();
      await expectAccessible(page);
      if (width < 400) await fitsThePhone(page);
    }
  });
}
