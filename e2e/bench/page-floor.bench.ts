// What the browser alone needs to put a page of the survey on screen, without any of the app's code: the form on
// screen is copied by the browser (cloneNode, and a parse of its HTML), swapped in for the original, and its heading
// focused and the page laid out, as a page turn must. Measured in the page with performance.now() at each page of a
// respondent's way through the example survey, at this machine's CPU and slowed 4× (the page-turn benchmark's
// Chromebook). This bounds any renderer: a page turn cannot cost less than this, in script or in layout.
// Prints a table; asserts nothing about speed.
import { expect, test } from '@playwright/test';
import { fillPage, newRespondents, signIn } from '../tests/helpers';

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: q(0.5).toFixed(2), p95: q(0.95).toFixed(2), max: s[s.length - 1].toFixed(2) };
}

for (const rate of [1, 4]) {
  test(`a page without the app, CPU slowdown ${rate}x`, async ({ page, context }) => {
    const [code] = newRespondents(1);
    await signIn(page, code);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate });
    await context.setOffline(true);
    const elements: number[] = [], parse: number[] = [], clone: number[] = [], layout: number[] = [];
    for (let i = 0; i < 20; i++) {
      const { pageId } = await fillPage(page, i);
      const [n, p, c, l] = await page.evaluate(() => {
        const form = document.querySelector('form.page') as HTMLFormElement;
        // Puts `make()` on screen in place of the form, focuses its heading and lays the page out: [all, layout] ms.
        const show = (make: () => HTMLElement) => {
          const t0 = performance.now();
          const copy = make();
          form.style.display = 'none';
          form.after(copy);
          const t1 = performance.now();
          (copy.querySelector('h2') as HTMLElement).focus();
          copy.getBoundingClientRect();
          const t2 = performance.now();
          copy.remove();
          form.style.display = '';
          form.getBoundingClientRect();
          return [t2 - t0, t2 - t1];
        };
        const html = form.outerHTML;
        const [parsed] = show(() => {
          const t = document.createElement('template');
          t.innerHTML = html;
          return t.content.firstElementChild as HTMLElement;
        });
        const [cloned, laid] = show(() => form.cloneNode(true) as HTMLElement);
        return [form.querySelectorAll('*').length, parsed, cloned, laid];
      });
      elements.push(n); parse.push(p); clone.push(c); layout.push(l);
      await page.locator('form.page button[type=submit]').click();
      await expect(page.locator('form.page')).not.toHaveAttribute('data-page', pageId);
    }
    const row = { cpu: `${rate}x`, elements: stats(elements), parse: stats(parse), clone: stats(clone), focusAndLayout: stats(layout) };
    console.log(`BENCH page-floor ${JSON.stringify(row)}`);
  });
}
