#!/usr/bin/env python3
"""Compares Quire's import of XLSForms with pyxform's reading of the same files.

Usage: xlsform_compare.py CORPUS_DIR QUIRE_JSON_DIR
For every `NAME.json` in QUIRE_JSON_DIR (a survey Quire imported from CORPUS_DIR/NAME), pyxform's
`parse_file_to_json(CORPUS_DIR/NAME)` is walked and compared on: question names, types (mapped to Quire's kinds),
choice lists (codes, labels per language) and question labels per language. Metadata rows and groups are left out on
pyxform's side (Quire ignores the first and turns the second into pages and sections); a Likert matrix is compared
statement by statement. Prints every disagreement; exit status 1 when there is any.
"""

import json
import os
import re
import sys
import warnings

from pyxform.builder import create_survey_element_from_dict
from pyxform.xls2json import parse_file_to_json

METADATA = {"start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username", "email",
            "audit", "start-geopoint", "background-audio", "imei", "caseid", "comments", "text audit", "audio audit"}
# pyxform adds these to every form (the submission's meta block); they are not rows of the sheet.
META_NAMES = {"instanceID", "instanceName"}
# Disagreements looked into, with why Quire differs on purpose: they are printed but do not fail the comparison.
EXPLAINED = {
    "ona_real__MCH_v1.xlsx": "`Select one from source`: pyxform reads types in lower case only and keeps this one as an "
    "unknown type (its conversion then refuses the form); Quire reads it as `select_one source`, with a warning",
}
TYPES = {"select one": {"single_choice", "dropdown", "likert"}, "select all that apply": {"multiple_choice"},
         "text": {"free_text"}, "integer": {"number"}, "decimal": {"number"}, "date": {"date"}, "note": {"note"},
         "calculate": {"calculate"}, "calculate_here": {"calculate"}}
# Language names pyxform passes through as written; Quire maps them to codes. Only what the corpus uses.
NAMES = {"english": "en", "french": "fr", "spanish": "es", "swahili": "sw", "hindi": "hi", "nepali": "ne",
         "indonesian": "id", "igbo": "ig", "deutsch": "de", "العربية": "ar", "hiligaynon": "hil"}


def lang_code(key, default):
    if key == "default":
        return default
    m = re.search(r"\(([^)]+)\)\s*$", key)
    if m:
        code = m.group(1).strip()
        return {"swa": "sw"}.get(code, code)
    return NAMES.get(key.strip().lower(), key)


def normal(text):
    """Quire keeps a label as written (trimmed); pyxform turns typographic quotes into ASCII ones and runs of spaces
    into one. Both are compared after doing the same, and such differences are counted apart."""
    text = re.sub(r"[\u2018\u2019]", "'", re.sub(r"[\u201c\u201d]", '"', text))
    return re.sub(r" +", " ", text)


def texts(value, default):
    """pyxform's label (a string or {language: text}) as {code: text}."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {default: value} if value else {}
    return {lang_code(k, default): v for k, v in value.items() if v}


def pyxform_questions(node, default, out):
    for child in node.get("children", []):
        t = child.get("type", "")
        if t in ("group",):
            pyxform_questions(child, default, out)
        elif t in METADATA or child.get("name") in META_NAMES or t.startswith("sensor_") or t.startswith("speed violations"):
            continue
        else:
            choices = [(c["name"], texts(c.get("label"), default)) for c in child.get("choices", []) or []]
            out[child["name"]] = {"type": t, "label": texts(child.get("label"), default), "choices": choices}


def quire_questions(survey):
    out = {}
    for page in survey["pages"]:
        for q in page["questions"]:
            choices = [(c["code"], c["label"]) for c in q.get("choices", q.get("scale", []))]
            if q["type"] == "likert":
                for s in q["statements"]:
                    out[s["id"]] = {"type": "likert", "label": s["text"], "choices": choices}
            else:
                out[q["id"]] = {"type": q["type"], "label": q["text"], "choices": choices}
    return out


NORMALISED = [0]


def converts(xlsform):
    """`None` when pyxform turns the form into an XForm (without ODK Validate), else its reason."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            create_survey_element_from_dict(parse_file_to_json(xlsform)).to_xml(validate=False)
        return None
    except Exception as e:
        return f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"


def ignored_names(warnings_file):
    """Rows Quire ignores on purpose (metadata, and calculations from metadata only), named in its warnings."""
    if not os.path.exists(warnings_file):
        return set()
    with open(warnings_file, encoding="utf-8") as fh:
        found = (re.match(r"^`([^`]+)` \(.*Quire ignores it$", w["message"]) for w in json.load(fh))
        return {m.group(1) for m in found if m}


def compare(xlsform, survey, ignored=frozenset()):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = parse_file_to_json(xlsform)
    default = survey["default_language"]
    theirs, ours = {}, quire_questions(survey)
    pyxform_questions(ref, default, theirs)
    theirs = {k: v for k, v in theirs.items() if k not in ignored}
    problems = []
    for name in theirs.keys() - ours.keys():
        problems.append(f"`{name}` ({theirs[name]['type']}) is in pyxform's reading only")
    for name in ours.keys() - theirs.keys():
        problems.append(f"`{name}` ({ours[name]['type']}) is in Quire's import only")
    for name in theirs.keys() & ours.keys():
        t, o = theirs[name], ours[name]
        if o["type"] not in TYPES.get(t["type"], set()):
            problems.append(f"`{name}`: pyxform type `{t['type']}`, Quire kind `{o['type']}`")
        # A calculate's text is Quire's own (its name when there is no label).
        if t["type"] != "calculate" and t["label"] and t["label"] != o["label"]:
            if {k: normal(v) for k, v in t["label"].items()} == {k: normal(v) for k, v in o["label"].items()}:
                NORMALISED[0] += 1
            else:
                problems.append(f"`{name}`: labels differ: pyxform {t['label']} / Quire {o['label']}")
        if [c for c, _ in t["choices"]] != [c for c, _ in o["choices"]]:
            problems.append(f"`{name}`: choice codes differ: pyxform {[c for c, _ in t['choices']]} / Quire {[c for c, _ in o['choices']]}")
        else:
            for (code, tl), (_, ol) in zip(t["choices"], o["choices"]):
                if tl and tl != ol:
                    if {k: normal(v) for k, v in tl.items()} == {k: normal(v) for k, v in ol.items()}:
                        NORMALISED[0] += 1
                    else:
                        problems.append(f"`{name}`: choice `{code}` labels differ: pyxform {tl} / Quire {ol}")
    return sorted(problems)


def main():
    corpus, quire_dir = sys.argv[1], sys.argv[2]
    total, disagreeing, refused = 0, 0, 0
    for f in sorted(os.listdir(quire_dir)):
        if not f.endswith(".json"):
            continue
        total += 1
        name = f[: -len(".json")]
        with open(os.path.join(quire_dir, f), encoding="utf-8") as fh:
            survey = json.load(fh)
        try:
            ignored = ignored_names(os.path.join(quire_dir, name + ".warnings"))
            problems = compare(os.path.join(corpus, name), survey, ignored)
        except Exception as e:  # pyxform cannot even read the form: a disagreement
            problems = [f"pyxform cannot read it: {type(e).__name__}: {str(e)[:300]}"]
        reason = converts(os.path.join(corpus, name))
        if reason:
            refused += 1
            print(f"-- {name}: Quire imports it, pyxform's conversion refuses it: {reason}")
        if problems and name in EXPLAINED:
            print(f"== {name}: {len(problems)} disagreements, explained: {EXPLAINED[name]}")
        elif problems:
            disagreeing += 1
            print(f"== {name}: {len(problems)} disagreements")
            for p in problems[:15]:
                print(f"   {p}")
            if len(problems) > 15:
                print(f"   … and {len(problems) - 15} more")
    explained = sum(1 for f in os.listdir(quire_dir) if f.endswith(".json") and f[:-5] in EXPLAINED)
    print(f"pyxform comparison: {total - disagreeing - explained}/{total} imported forms agree with pyxform on names, "
          f"types, choices and labels, {explained} differ as explained, {disagreeing} unexplained; pyxform's "
          f"conversion refuses {refused} of them "
          f"({NORMALISED[0]} labels equal only after pyxform's quote and space cleaning)")
    sys.exit(1 if disagreeing else 0)


if __name__ == "__main__":
    main()
