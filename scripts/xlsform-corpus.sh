#!/usr/bin/env bash
# Imports every XLSForm of the corpus (../shared/xlsform-corpus beside the checkout, or $XLSFORM_CORPUS) with Quire,
# prints the share that imports fully (overall and for the survey-research slice) and the most frequent refusal
# reasons, then compares each imported survey with pyxform's reading of the same file (scripts/xlsform_compare.py;
# pyxform pinned in scripts/xlsform-requirements.txt, installed in .quire/venv-xlsform).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CORPUS="${XLSFORM_CORPUS:-$ROOT/../shared/xlsform-corpus}"
VENV="$ROOT/.quire/venv-xlsform"
WANT="$ROOT/scripts/xlsform-requirements.txt"
[ -d "$CORPUS" ] || { echo "SKIPPED: no XLSForm corpus at $CORPUS (set XLSFORM_CORPUS)" >&2; exit 0; }

if ! cmp -s "$WANT" "$VENV/requirements.txt" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$WANT"
  cp "$WANT" "$VENV/requirements.txt"
fi

DUMP="$(mktemp -d)"
trap 'rm -rf "$DUMP"' EXIT
cd "$ROOT"
XLSFORM_CORPUS="$CORPUS" XLSFORM_DUMP="$DUMP" cargo test -p quire-xlsform --locked --test corpus -- --nocapture 2>&1 \
  | grep -v '^\s*\(Compiling\|Finished\|Running\)'
"$VENV/bin/python" scripts/xlsform_compare.py "$CORPUS" "$DUMP" || status=$?

# Quire's own export must be a form pyxform and ODK Validate accept (ODK Validate needs java; without it pyxform only).
cargo run -q -p quire-xlsform --locked --bin xlsform -- export shared/fixtures/school-climate.json "$DUMP/school-climate.xlsx"
"$VENV/bin/python" - "$DUMP/school-climate.xlsx" <<'PY'
import shutil, sys, warnings
from pyxform.builder import create_survey_element_from_dict
from pyxform.xls2json import parse_file_to_json
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    validate = shutil.which("java") is not None
    xml = create_survey_element_from_dict(parse_file_to_json(sys.argv[1])).to_xml(validate=validate)
print(f"Quire's export of shared/fixtures/school-climate.json: pyxform{' and ODK Validate' if validate else ''} accept it ({len(xml)} characters of XForm)")
PY
exit "${status:-0}"
