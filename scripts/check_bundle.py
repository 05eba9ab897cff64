#!/usr/bin/env python3
"""Reads an unpacked analysis bundle the way analysts do and compares it with what the test expects.

Usage: check_bundle.py DIR   (DIR holds the bundle's files and expect.json, written by server/tests/api/analysis.rs)

- data.csv with pandas: names valid in SPSS, Stata and R and unique; every expected cell, as text.
- data.xlsx with pandas (openpyxl): numbers as numbers; the variables sheet names every column.
- data.dta with pyreadstat (and pandas.read_stata): values, variable labels, value labels in the chosen language,
  the missing codes as Stata's .a/.b/.c.
- data.sps and data.do: declare every variable, its label and its value labels.
- data.R in R (Rscript): factors carry the labels, missing codes are NA with the reason kept.
Prints what it checked; exits 1 at the first difference, naming the respondent, column and both values.
"""

import json
import math
import os
import re
import subprocess
import sys

import pandas as pd
import pyreadstat

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
MISSING = {"-97": "a", "-98": "b", "-99": "c"}
# Why a cell is empty, and an option's 0/1, as the bundle words them in each language it speaks.
REASON = {"en": {"-97": "not shown", "-98": "not reached", "-99": "not answered"},
          "es": {"-97": "no mostrada", "-98": "no alcanzada", "-99": "sin respuesta"}}
FLAG = {"en": {"0": "not chosen", "1": "chosen"}, "es": {"0": "no elegida", "1": "elegida"}}


def fail(msg):
    print(f"FAILED: {msg}")
    sys.exit(1)


def main(folder):
    expect = json.load(open(os.path.join(folder, "expect.json"), encoding="utf-8"))
    book = pd.read_csv(os.path.join(folder, "codebook.csv"), dtype=str, keep_default_na=False)
    column = {(r.question_id, r.part): r.variable for r in book.itertuples()}
    lang = expect["lang"]
    cells = []
    for rid, (question, part, value, label) in expect["cells"]:
        if (question, part) not in column:
            fail(f"the codebook has no column for {question} {part!r}")
        cells.append((rid, column[(question, part)], value, label))
    numeric = {r.variable for r in book.itertuples() if r.type == "numeric"}
    print(f"expecting {len(cells)} cells of {len(expect['status'])} respondents, labels in {lang}")

    data = pd.read_csv(os.path.join(folder, "data.csv"), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    names = list(data.columns)
    bad = [n for n in names if not NAME.match(n)]
    if bad:
        fail(f"names SPSS, Stata or R reject: {bad[:5]}")
    if len({n.lower() for n in names}) != len(names):
        fail("two column names differ only in case or repeat")
    if list(book.variable) != names:
        fail("the codebook's rows are not data.csv's columns, in order")
    if len(data) != expect["rows"]:
        fail(f"data.csv has {len(data)} rows, not {expect['rows']}")
    rows = data.set_index("respondent_id")
    for rid, status in expect["status"].items():
        if rows.at[rid, "status"] != status:
            fail(f"{rid}: status {rows.at[rid, 'status']} != {status}")
    for rid, var, value, _ in cells:
        got = rows.at[rid, var]
        same = got == value or (var in numeric and float(got) == float(value))
        if not same:
            fail(f"data.csv {rid} {var}: {got!r} != {value!r}")
    print(f"data.csv (pandas): {len(names)} columns, every expected cell")

    sheets = pd.read_excel(os.path.join(folder, "data.xlsx"), sheet_name=None)
    xrows = sheets["data"].set_index("respondent_id")
    for rid, var, value, _ in cells:
        got = xrows.at[rid, var]
        if var in numeric:
            if not pd.api.types.is_number(got) or float(got) != float(value):
                fail(f"data.xlsx {rid} {var}: {got!r} != {value}")
        elif str(got) != value:
            fail(f"data.xlsx {rid} {var}: {got!r} != {value!r}")
    if list(sheets["variables"]["variable"]) != names:
        fail("data.xlsx's variables sheet does not list every column")
    print("data.xlsx (pandas + openpyxl): numbers as numbers, every expected cell, the variables sheet")

    check_dta(folder, cells, book, lang, numeric)
    check_scripts(folder, book, numeric)
    check_r(folder, cells, book, numeric, lang)
    print("bundle: all checks passed")


def check_dta(folder, cells, book, lang, numeric):
    df, meta = pyreadstat.read_dta(os.path.join(folder, "data.dta"), user_missing=True)
    if list(df.columns) != list(book.variable):
        fail("data.dta's variables are not data.csv's columns")
    drows = df.set_index("respondent_id")
    labels = dict(zip(meta.column_names, meta.column_labels))
    for r in book.itertuples():
        want = r._asdict()[f"label_{lang}"][:80].rstrip()
        if r.question_id and (labels.get(r.variable) or "") != want:
            fail(f"data.dta label of {r.variable}: {labels.get(r.variable)!r} != {want!r}")
    for rid, var, value, label in cells:
        got = drows.at[rid, var]
        if value in MISSING and var in numeric:
            if got != MISSING[value]:
                fail(f"data.dta {rid} {var}: {got!r} is not .{MISSING[value]} (code {value})")
        elif var in numeric:
            if float(got) != float(value):
                fail(f"data.dta {rid} {var}: {got!r} != {value}")
            if label is not None and meta.variable_value_labels[var].get(float(value)) != label:
                fail(f"data.dta value label of {var}={value}: {meta.variable_value_labels[var].get(float(value))!r} != {label!r}")
        elif got != value[: len(got.encode())] and got != value:
            fail(f"data.dta {rid} {var}: {got!r} != {value!r}")
    some = next(v for _, v, value, _ in cells if v in numeric and value in MISSING)
    for code, letter in MISSING.items():
        got = meta.variable_value_labels[some].get(letter, "")
        if not got.startswith(REASON[lang][code]):
            fail(f"data.dta label of .{letter} on {some}: {got!r} is not {REASON[lang][code]!r}…")
    stata = pd.read_stata(os.path.join(folder, "data.dta"), convert_categoricals=False, convert_missing=True)
    if len(stata) != len(df):
        fail("pandas.read_stata and pyreadstat disagree on the rows")
    print(f"data.dta (pyreadstat {pyreadstat.__version__}, pandas.read_stata): values, variable and value labels, .a/.b/.c")


def check_scripts(folder, book, numeric):
    sps = open(os.path.join(folder, "data.sps"), encoding="utf-8").read()
    do = open(os.path.join(folder, "data.do"), encoding="utf-8").read()
    answers = [r for r in book.itertuples() if r.question_id]
    listed = re.search(r"/VARIABLES=\n(.*?)\n\.", sps, re.S).group(1).split("\n")
    if [line.split()[0] for line in listed] != list(book.variable):
        fail("data.sps does not read every column in order")
    for r in answers:
        v = r.variable
        if not re.search(rf"^  /{v} '", sps, re.M):
            fail(f"data.sps has no variable label for {v}")
        if not re.search(rf"^  /{v} ", sps.split("VALUE LABELS")[1], re.M):
            fail(f"data.sps has no value labels for {v}")
        if f"label variable {v} " not in do:
            fail(f"data.do has no variable label for {v}")
        if v in numeric and r.kind != "number" and f"label define {v} " not in do:
            fail(f"data.do has no value labels for {v}")
    if "MISSING VALUES" not in sps or "mvdecode _all, mv(-97=.a \\ -98=.b \\ -99=.c)" not in do:
        fail("the missing codes are not declared in data.sps and data.do")
    print(f"data.sps and data.do: {len(answers)} answer variables with labels, value labels and missing values")


def check_r(folder, cells, book, numeric, lang):
    program = (
        'source("data.R", encoding = "UTF-8")\n'
        "out <- do.call(rbind, lapply(names(variables), function(v) {\n"
        "  x <- data[[v]]\n"
        '  data.frame(respondent_id = data$respondent_id, variable = v, value = as.character(x),\n'
        '             reason = as.character(attr(x, "na_reason")), label = attr(x, "label"))\n'
        "}))\n"
        'write.csv(out, "r_out.csv", row.names = FALSE, fileEncoding = "UTF-8")\n'
    )
    run = subprocess.run(["Rscript", "-e", program], cwd=folder, capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"R could not run data.R:\n{run.stderr}")
    out = pd.read_csv(os.path.join(folder, "r_out.csv"), dtype=str, keep_default_na=False, encoding="utf-8")
    got = {(r.respondent_id, r.variable): (r.value, r.reason) for r in out.itertuples()}
    for rid, var, value, label in cells:
        have, reason = got[(rid, var)]
        if value in REASON[lang]:
            if have != "NA" or not reason.startswith(REASON[lang][value]):
                fail(f"R {rid} {var}: {have!r} ({reason!r}) is not NA for {REASON[lang][value]}")
        elif label is not None:
            if have != label:
                fail(f"R {rid} {var}: factor level {have!r} != {label!r}")
        elif var in numeric and book.set_index("variable").at[var, "kind"] == "multiple_choice":
            if have != FLAG[lang][value]:
                fail(f"R {rid} {var}: {have!r} for {value}")
        elif var in numeric:
            if not math.isclose(float(have), float(value)):
                fail(f"R {rid} {var}: {have!r} != {value}")
        elif have != value:
            fail(f"R {rid} {var}: {have!r} != {value!r}")
    version = subprocess.run(["Rscript", "--version"], capture_output=True, text=True)
    print(f"R: checked {len(cells)} cells ({(version.stdout or version.stderr).strip()})")


if __name__ == "__main__":
    main(sys.argv[1])
