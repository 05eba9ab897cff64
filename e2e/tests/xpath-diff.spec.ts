// Differential test: the Rust expression engine (shared/src/expr) against Enketo's openrosa-xpath-evaluator on the
// cases shared/examples/expr_cases.rs generates (scripts/xpath-diff.sh makes them and runs this with
// playwright.xpath.config.ts). Every disagreement is listed with its expression, answers and both results.
import { test, expect } from '@playwright/test';
import { buildSync } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';

type Case = {
  expr: string;
  answers: Record<string, string>;
  current: string;
  rust: string | null;
  rust_bool: boolean | null;
};

// The evaluator is CommonJS for Node: bundled here into one script that sets a global for the page.
function evaluatorBundle(): string {
  const out = buildSync({
    entryPoints: [require.resolve('openrosa-xpath-evaluator')],
    bundle: true,
    format: 'iife',
    globalName: 'OpenrosaXPath',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0].text;
}

test('the Rust engine agrees with openrosa-xpath-evaluator', async ({ page }) => {
  const file = process.env.XPATH_CASES;
  test.skip(!file, 'XPATH_CASES names the generated cases (scripts/xpath-diff.sh)');
  const cases: Case[] = JSON.parse(readFileSync(file as string, 'utf8'));
  await page.setContent('<!doctype html><title>xpath</title>');
  await page.addScriptTag({ content: evaluatorBundle() });

  const js = await page.evaluate((cases: Case[]) => {
    const evaluator = (window as any).OpenrosaXPath();
    return cases.map((c) => {
      const doc = new DOMParser().parseFromString('<data/>', 'text/xml');
      for (const [name, value] of Object.entries(c.answers)) {
        const el = doc.createElement(name);
        el.textContent = value;
        doc.documentElement.appendChild(el);
      }
      const current = doc.createElement('_cur');
      current.textContent = c.current;
      doc.documentElement.appendChild(current);
      const expr = c.expr.replace(/\$\{([^}]+)\}/g, '/data/$1');
      try {
        const str = evaluator.evaluate(expr, current, null, XPathResult.STRING_TYPE, null).stringValue;
        const bool = evaluator.evaluate(expr, current, null, XPathResult.BOOLEAN_TYPE, null).booleanValue;
        return { str, bool, error: null as string | null };
      } catch (e) {
        return { str: null, bool: null, error: String((e as Error).stack ?? e).slice(0, 400) };
      }
    });
  }, cases);

  const disagreements = cases.flatMap((c, i) => {
    const r = js[i];
    if (r.error === null && r.str === c.rust && r.bool === c.rust_bool) return [];
    return [
      `${c.expr}\n  answers ${JSON.stringify(c.answers)} current ${JSON.stringify(c.current)}\n` +
        `  rust ${JSON.stringify(c.rust)} / ${c.rust_bool}   enketo ` +
        (r.error ? `threw ${r.error}` : `${JSON.stringify(r.str)} / ${r.bool}`),
    ];
  });
  console.log(`${cases.length} cases, ${disagreements.length} disagreements`);
  if (process.env.XPATH_DIFF_OUT) writeFileSync(process.env.XPATH_DIFF_OUT, disagreements.join('\n') + '\n');
  expect(disagreements, `${disagreements.length} of ${cases.length} disagree:\n${disagreements.join('\n')}`).toEqual([]);
});
