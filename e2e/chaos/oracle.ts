// The chaos suite's oracle: the skip-logic survey's rules, written again in TypeScript from the survey file and the
// rule for hidden answers, without calling the app's or the server's code. Given the last value the journey entered
// for each question (kept whatever skip logic did to it), it says which pages and questions are visible, which
// answers are ACTIVE, which page comes next or before, and whether the survey may be finished.
//
// The rule: an answer to a question that skip logic hides, or on a page that it hides, is kept on the device but is
// inactive: it does not count for conditions, required checks or completion, it is not sent, and it is not a
// current answer on the server. Visibility is decided in survey order over active answers only. A condition that
// reads an inactive or unanswered question sees "unanswered": equals/one_of → false, answered → false, not(…) negates.
// Empty answers (blank text, no box ticked, no row chosen) are unanswered.
import { readFileSync } from 'node:fs';

export type Answer =
  | { choice: string }
  | { choices: string[] }
  | { matrix: Record<string, string> }
  | { text: string }
  | { number: number };

/** Page id → question id → answer. */
export type PageMap = Record<string, Record<string, Answer>>;

export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { equals: { question: string; statement?: string; value: string } }
  | { one_of: { question: string; statement?: string; values: string[] } }
  | { answered: { question: string; statement?: string } };

export interface Question {
  id: string;
  type: 'single_choice' | 'multiple_choice' | 'likert' | 'free_text' | 'number' | 'dropdown';
  required?: boolean;
  visible_if?: Condition;
  choices?: { code: string }[];
  scale?: { code: string }[];
  statements?: { id: string }[];
  max_selected?: number;
  min_selected?: number;
  max_length?: number;
  multiline?: boolean;
  min?: number;
  max?: number;
  integer?: boolean;
}

export interface SurveyPage {
  id: string;
  visible_if?: Condition;
  questions: Question[];
}

export interface Survey {
  id: string;
  pages: SurveyPage[];
}

export function loadSurvey(file: string): Survey {
  return JSON.parse(readFileSync(file, 'utf8')) as Survey;
}

export function isEmpty(a: Answer | undefined | null): boolean {
  if (!a) return true;
  if ('choice' in a) return a.choice === '';
  if ('choices' in a) return a.choices.length === 0;
  if ('matrix' in a) return Object.keys(a.matrix).length === 0;
  if ('text' in a) return a.text.trim() === '';
  return !Number.isFinite(a.number);
}

/** The codes an active answer holds for a comparison (a statement's code for a Likert matrix). */
function codes(a: Answer | undefined, statement?: string): string[] {
  if (!a) return [];
  if (statement !== undefined) return 'matrix' in a && a.matrix[statement] !== undefined ? [a.matrix[statement]] : [];
  if ('choice' in a) return [a.choice];
  if ('choices' in a) return a.choices;
  return [];
}

/** Two-valued: every answer is known; an inactive or missing one is "unanswered". */
export function holds(c: Condition, active: Record<string, Answer>): boolean {
  if ('all' in c) return c.all.every((x) => holds(x, active));
  if ('any' in c) return c.any.some((x) => holds(x, active));
  if ('not' in c) return !holds(c.not, active);
  if ('equals' in c) return codes(active[c.equals.question], c.equals.statement).includes(c.equals.value);
  if ('one_of' in c) {
    const have = codes(active[c.one_of.question], c.one_of.statement);
    return have.some((x) => c.one_of.values.includes(x));
  }
  const a = active[c.answered.question];
  if (!a) return false;
  if (c.answered.statement !== undefined) return 'matrix' in a && a.matrix[c.answered.statement] !== undefined;
  return !isEmpty(a);
}

export interface Evaluation {
  pageVisible: Record<string, boolean>;
  questionVisible: Record<string, boolean>;
  /** Active answers by page (a page with none is absent). */
  active: PageMap;
  /** Active answers by question id. */
  byQuestion: Record<string, Answer>;
}

/** Decides visibility and active answers in survey order from everything entered (hidden answers included). */
export function evaluate(survey: Survey, entered: PageMap): Evaluation {
  const ev: Evaluation = { pageVisible: {}, questionVisible: {}, active: {}, byQuestion: {} };
  for (const page of survey.pages) {
    const pv = !page.visible_if || holds(page.visible_if, ev.byQuestion);
    ev.pageVisible[page.id] = pv;
    for (const q of page.questions) {
      const qv = pv && (!q.visible_if || holds(q.visible_if, ev.byQuestion));
      ev.questionVisible[q.id] = qv;
      const a = entered[page.id]?.[q.id];
      if (qv && a && !isEmpty(a)) {
        ev.byQuestion[q.id] = a;
        (ev.active[page.id] ??= {})[q.id] = a;
      }
    }
  }
  return ev;
}

export function pageIndex(survey: Survey, id: string): number {
  const i = survey.pages.findIndex((p) => p.id === id);
  if (i < 0) throw new Error(`no page ${id}`);
  return i;
}

/** The page Next leads to from `from`, or null when `from` is the last visible page (Finish). */
export function nextPage(survey: Survey, entered: PageMap, from: string): string | null {
  const ev = evaluate(survey, entered);
  const pages = survey.pages.slice(pageIndex(survey, from) + 1);
  return pages.find((p) => ev.pageVisible[p.id])?.id ?? null;
}

/** The page Back leads to from `from`, or null on the first visible page (no Back button). */
export function previousPage(survey: Survey, entered: PageMap, from: string): string | null {
  const ev = evaluate(survey, entered);
  const pages = survey.pages.slice(0, pageIndex(survey, from)).reverse();
  return pages.find((p) => ev.pageVisible[p.id])?.id ?? null;
}

/** Required questions (and Likert statements) that are visible but have no active answer, on one page or all. */
export function missingRequired(survey: Survey, entered: PageMap, onlyPage?: string): string[] {
  const ev = evaluate(survey, entered);
  const out: string[] = [];
  for (const page of survey.pages) {
    if (onlyPage !== undefined && page.id !== onlyPage) continue;
    if (!ev.pageVisible[page.id]) continue;
    for (const q of page.questions) {
      if (!q.required || !ev.questionVisible[q.id]) continue;
      const a = ev.byQuestion[q.id];
      if (!a) out.push(`${page.id}.${q.id}`);
      else if (q.type === 'likert' && 'matrix' in a) {
        for (const s of q.statements ?? []) if (a.matrix[s.id] === undefined) out.push(`${page.id}.${q.id}.${s.id}`);
      }
    }
  }
  return out;
}

/** Canonical JSON of an answer (sorted keys, survey order kept for choices), for comparisons and messages. */
export function canon(a: unknown): string {
  if (a === null || a === undefined) return 'null';
  if (Array.isArray(a)) return `[${a.map(canon).join(',')}]`;
  if (typeof a === 'object') {
    const o = a as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canon(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(a);
}

/** Page answers with empty answers left out: what "the same answers" means between the model, IDB and PostgreSQL. */
export function nonEmpty(page: Record<string, Answer> | undefined): Record<string, Answer> {
  const out: Record<string, Answer> = {};
  for (const [q, a] of Object.entries(page ?? {})) if (!isEmpty(a)) out[q] = a;
  return out;
}
