//! The built-in functions at run time.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::expr::{Ctx, Failure, Val, scalar_text};
use crate::event::value::Value;
use crate::outcome::RunCode;
use crate::plan::{Builtin, PlanExpr};

pub(crate) fn call<'s, 'a>(
    ctx: &Ctx<'s, 'a>,
    b: Builtin,
    args: &[PlanExpr],
) -> Result<Val<'s, 'a>, Failure> {
    if b == Builtin::OnCreate {
        let v = ctx.eval(&args[0])?;
        if v.is_some() {
            ctx.create_only.set(true);
        }
        return Ok(v);
    }
    if b == Builtin::Clear {
        return Ok(Some(Cow::Owned(Value::Null)));
    }
    if b == Builtin::KeepNull {
        let outer = ctx.keep_null.replace(true);
        let v = ctx.eval(&args[0]);
        ctx.keep_null.set(outer);
        return v;
    }
    let Some(first) = ctx.eval(&args[0])? else {
        return Ok(None);
    };
    // Null in, null out, as absent in, absent out: `lower(keep_null(traits.x))` clears.
    if first.is_null() {
        return Ok(Some(first));
    }
    let text = || scalar_text(&first);
    let string = |s: String| Ok(Some(Cow::Owned(Value::String(Cow::Owned(s)))));
    match b {
        Builtin::Lower => string(text().to_lowercase()),
        Builtin::Upper => string(text().to_uppercase()),
        Builtin::Trim => string(text().trim().to_string()),
        Builtin::ToString => string(text()),
        Builtin::NameFirst => {
            let t = text();
            let t = t.trim();
            string(t.split_once(' ').map_or(t, |(f, _)| f).to_string())
        }
        Builtin::NameLast => {
            let t = text();
            match t.trim().split_once(' ') {
                Some((_, rest)) if !rest.trim().is_empty() => string(rest.trim().to_string()),
                _ => Ok(None),
            }
        }
        Builtin::Truncate => {
            let n = match ctx.eval(&args[1])?.as_deref() {
                Some(Value::Number(n)) => n.as_u64().unwrap_or(0) as usize,
                _ => 0,
            };
            string(text().chars().take(n).collect())
        }
        Builtin::Replace => {
            let from = ctx.eval(&args[1])?.map(|v| scalar_text(&v));
            let to = ctx.eval(&args[2])?.map(|v| scalar_text(&v));
            match (from, to) {
                (Some(f), Some(t)) if !f.is_empty() => string(text().replace(&f, &t)),
                _ => Ok(Some(first)),
            }
        }
        Builtin::ToNumber => match &*first {
            Value::Number(_) => Ok(Some(first)),
            Value::Bool(_) | Value::Null | Value::Object(_) | Value::Array(_) => Err(Failure::new(
                RunCode::NotANumber,
                format!("cannot turn a {} into a number", first.type_name()),
            )),
            Value::String(s) => number(s.trim())
                .map(|n| Some(Cow::Owned(Value::Number(n))))
                .ok_or_else(|| Failure::new(RunCode::NotANumber, format!("{s:?} is not a number"))),
        },
        Builtin::ToBool => {
            let b = match &*first {
                Value::Bool(b) => Some(*b),
                Value::Number(n) => n.as_f64().map(|f| f != 0.0),
                Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                    "true" | "yes" | "1" => Some(true),
                    "false" | "no" | "0" => Some(false),
                    _ => None,
                },
                _ => None,
            };
            b.map(|b| Some(Cow::Owned(Value::Bool(b)))).ok_or_else(|| {
                Failure::new(
                    RunCode::NotABoolean,
                    format!("{} is not true or false", text()),
                )
            })
        }
        Builtin::ToDate | Builtin::ToDatetime => {
            let fmt = match args.get(1) {
                Some(PlanExpr::Const(Value::String(f))) => Some(f.as_ref()),
                _ => None,
            };
            let tz = match args.get(2) {
                Some(PlanExpr::Const(Value::String(z))) => z.parse::<chrono_tz::Tz>().ok(),
                _ => None,
            }
            .unwrap_or(chrono_tz::UTC);
            let parsed = parse_when(&first, fmt).ok_or_else(|| {
                Failure::new(
                    RunCode::InvalidDate,
                    match fmt {
                        Some(f) => format!("{:?} does not match the format {f:?}", text()),
                        None => format!("{:?} is not an ISO date or datetime", text()),
                    },
                )
            })?;
            let out = if b == Builtin::ToDate {
                match parsed {
                    When::Instant(t) => t
                        .with_timezone(&tz)
                        .date_naive()
                        .format("%Y-%m-%d")
                        .to_string(),
                    When::Local(t) => t.date().format("%Y-%m-%d").to_string(),
                    When::Day(d) => d.format("%Y-%m-%d").to_string(),
                }
            } else {
                let utc = match parsed {
                    When::Instant(t) => t,
                    When::Local(t) => local_to_utc(tz, t),
                    When::Day(d) => local_to_utc(tz, d.and_hms_opt(0, 0, 0).unwrap_or_default()),
                };
                utc.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
            };
            string(out)
        }
        Builtin::Clear | Builtin::OnCreate | Builtin::KeepNull => unreachable!("handled above"),
        Builtin::Coalesce => unreachable!("evaluated in expr.rs"),
    }
}

fn number(s: &str) -> Option<serde_json::Number> {
    if let Ok(i) = s.parse::<i64>() {
        return Some(i.into());
    }
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .and_then(serde_json::Number::from_f64)
}

enum When {
    Instant(DateTime<Utc>),
    Local(NaiveDateTime),
    Day(NaiveDate),
}

fn parse_when(v: &Value<'_>, fmt: Option<&str>) -> Option<When> {
    match v {
        Value::Number(n) => {
            let f = n.as_f64()?;
            let ms = if f.abs() > 1e11 { f } else { f * 1000.0 };
            Utc.timestamp_millis_opt(ms as i64)
                .single()
                .map(When::Instant)
        }
        Value::String(s) => {
            let s = s.trim();
            match fmt {
                Some(f) => DateTime::parse_from_str(s, f)
                    .map(|t| When::Instant(t.with_timezone(&Utc)))
                    .or_else(|_| NaiveDateTime::parse_from_str(s, f).map(When::Local))
                    .or_else(|_| NaiveDate::parse_from_str(s, f).map(When::Day))
                    .ok(),
                None => DateTime::parse_from_rfc3339(s)
                    .map(|t| When::Instant(t.with_timezone(&Utc)))
                    .or_else(|_| {
                        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").map(When::Local)
                    })
                    .or_else(|_| {
                        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").map(When::Local)
                    })
                    .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d").map(When::Day))
                    .ok(),
            }
        }
        _ => None,
    }
}

fn local_to_utc(tz: chrono_tz::Tz, t: NaiveDateTime) -> DateTime<Utc> {
    tz.from_local_datetime(&t)
        .earliest()
        .map_or_else(|| Utc.from_utc_datetime(&t), |d| d.with_timezone(&Utc))
}
