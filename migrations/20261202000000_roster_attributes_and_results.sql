-- Roster attributes the survey can read (issue 17): a respondent's district, grade and language, beside the school,
-- class and role they already had. All optional: a roster without the columns loads as before.
alter table respondents
    add column district text,
    add column grade    text,
    add column language text;

-- Per-survey settings of the results pages: a cell of fewer than `min_cell` respondents is never shown, and a school's
-- results appear only once `min_response_rate` of its invited people have responded. `code_in_slip_url`: a reminder
-- slip's link and QR code carry the access code only when the survey opts in (a shared printer or a browser history
-- keeps URLs).
alter table surveys
    add column min_cell          integer not null default 5 check (min_cell >= 1),
    add column min_response_rate real    not null default 0.5 check (min_response_rate >= 0 and min_response_rate <= 1),
    add column code_in_slip_url  boolean not null default false;
