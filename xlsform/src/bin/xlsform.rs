//! `xlsform import FILE` prints the survey JSON (warnings and problems on stderr; exit 1 on any error);
//! `xlsform export SURVEY.json OUT.xlsx` writes the XLSForm.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["import", path] => match quire_xlsform::import_path(std::path::Path::new(path)) {
            Ok((json, warnings)) => {
                for w in warnings {
                    eprintln!("warning: {w}");
                }
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(problems) => {
                for p in problems {
                    eprintln!("error: {p}");
                }
                ExitCode::FAILURE
            }
        },
        ["export", json, out] => {
            let written = std::fs::read_to_string(json)
                .map_err(|e| e.to_string())
                .and_then(|j| quire_xlsform::export_json(&j).map_err(|e| e.to_string()))
                .and_then(|bytes| std::fs::write(out, bytes).map_err(|e| e.to_string()));
            match written {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => {
            eprintln!("usage: xlsform import FILE.xlsx | xlsform export SURVEY.json OUT.xlsx");
            ExitCode::from(2)
        }
    }
}
