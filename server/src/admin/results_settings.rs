//! `POST /admin/surveys/{id}/results/settings`: the administrators set a survey's smallest shown cell (`min_cell`, at
//! least 1; below 5 is allowed with a warning) and the response rate a school needs before its results show
//! (`min_response_rate`, 0 to 1). Audited with the values before and after.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::audit;
use super::csrf::AdminWrite;
use super::rosters::survey_exists;
use crate::http::error::ApiError;
use crate::http::extract::JsonBody;
use crate::state::AppState;

/// Under this, a cell is small enough that the guide and common practice advise against it.
pub const ADVISED_MIN_CELL: i64 = 5;

fn bad(field: &str, message: &str) -> ApiError {
    ApiError::bad_request("invalid_settings", message, Some(field.to_owned()))
}

/// A number sent as a number or as text (a form field).
fn number(body: &Value, field: &str) -> Result<Option<f64>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_f64().map(Some).ok_or_else(|| bad(field, "must be a number")),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s.trim().parse::<f64>().map(Some).map_err(|_| bad(field, "must be a number")),
        Some(_) => Err(bad(field, "must be a number")),
    }
}

/// The two settings from a body, each optional; errors name the field.
pub fn parse(body: &Value) -> Result<(Option<i64>, Option<f64>), ApiError> {
    if !body.is_object() {
        return Err(bad("body", "send a JSON object with min_cell and/or min_response_rate"));
    }
    let min_cell = match number(body, "min_cell")? {
        Some(n) if n.fract() != 0.0 || !(1.0..=1000.0).contains(&n) => {
            return Err(bad("min_cell", "min_cell must be a whole number from 1 to 1000"))
        }
        n => n.map(|n| n as i64),
    };
    let rate = match number(body, "min_response_rate")? {
        Some(r) if !(0.0..=1.0).contains(&r) || r.is_nan() => {
            return Err(bad("min_response_rate", "min_response_rate must be from 0 to 1 (0.5 is 50%)"))
        }
        r => r,
    };
    Ok((min_cell, rate))
}

pub async fn save(
    State(state): State<AppState>,
    AdminWrite(admin): AdminWrite,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<Value>, ApiError> {
    admin.require_administrator()?;
    survey_exists(&state, &admin, &id).await?;
    let (min_cell, rate) = parse(&body)?;
    let (before_cell, before_rate): (i32, f32) =
        sqlx::query_as("select min_cell, min_response_rate from surveys where survey_id = $1")
            .bind(&id)
            .fetch_one(&state.pool)
            .await?;
    let (after_cell, after_rate): (i32, f32) = sqlx::query_as(
        "update surveys set min_cell = coalesce($2, min_cell), min_response_rate = coalesce($3, min_response_rate)
         where survey_id = $1 returning min_cell, min_response_rate",
    )
    .bind(&id)
    .bind(min_cell.map(|n| n as i32))
    .bind(rate.map(|r| r as f32))
    .fetch_one(&state.pool)
    .await?;
    audit::record(
        &state.pool,
        &admin,
        "results.settings",
        Some(&id),
        json!({"min_cell": [before_cell, after_cell], "min_response_rate": [before_rate, after_rate]}),
    )
    .await?;
    let warnings: Vec<Value> = if i64::from(after_cell) < ADVISED_MIN_CELL {
        vec![json!({"message": format!(
            "Cells of fewer than {ADVISED_MIN_CELL} people can single people out; {after_cell} is below common practice."
        )})]
    } else {
        Vec::new()
    };
    Ok(Json(json!({
        "message": format!("Saved: cells under {after_cell} are suppressed; a school reports from {:.0}% response.", after_rate * 100.0),
        "min_cell": after_cell, "min_response_rate": after_rate, "warnings": warnings, "reload": true,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_field_by_field() {
        assert_eq!(parse(&json!({"min_cell": "3", "min_response_rate": 0.6})).ok(), Some((Some(3), Some(0.6))));
        assert_eq!(parse(&json!({})).ok(), Some((None, None)));
        for (body, field) in [
            (json!({"min_cell": 0}), "min_cell"),
            (json!({"min_cell": 2.5}), "min_cell"),
            (json!({"min_cell": "five"}), "min_cell"),
            (json!({"min_response_rate": 1.5}), "min_response_rate"),
            (json!({"min_response_rate": -0.1}), "min_response_rate"),
            (json!([1]), "body"),
        ] {
            match parse(&body) {
                Err(ApiError::BadRequest { field: Some(f), .. }) => assert_eq!(f, field, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
    }
}
