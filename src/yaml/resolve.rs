//! What a scalar means, by go-yaml v3's rules (its `resolve.go`): the typing
//! helmfile's state files and values get.

/// A resolved scalar.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// `~`, `null`, `Null`, `NULL` or nothing.
    Null,
    /// `true`/`True`/`TRUE`, `false`/`False`/`FALSE` only: `yes`, `on`, `y`
    /// are strings (YAML 1.2), unlike in helm's YAML 1.1 parser.
    Bool(bool),
    /// An integer that fits an int64: decimal, `0x`, `0o`, `0b`, and
    /// YAML 1.1 octal `017`, with `_` separators.
    Int(i64),
    /// An integer beyond int64 that fits a uint64.
    Uint(u64),
    /// A float, including `.inf`, `-.inf` and `.nan`.
    Float(f64),
    /// A timestamp (`2001-12-14`, `2001-12-14T21:59:43Z`...), written as Go
    /// writes a `time.Time` back out (RFC 3339 with nanoseconds), which is
    /// what helmfile hands helm for a plain timestamp in inline values.
    Timestamp(String),
    /// Anything else, and every quoted scalar.
    Str(String),
}

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unquoted.
    Plain,
    /// Quoted, or a `|`/`>` block: always a string unless tagged.
    Quoted,
}

/// Resolves a scalar written with `style` and an optional core-schema tag
/// suffix (`str`, `int`...; `Some("")` for the non-specific `!`, `None` for
/// no tag). A custom tag (`!Ref`) leaves the text a string, as in v3.
pub fn resolve(text: &str, style: Style, tag: Option<&str>) -> Result<Scalar, String> {
    match tag {
        None if style == Style::Quoted => Ok(Scalar::Str(text.to_string())),
        None => Ok(resolve_plain(text)),
        Some("str") => Ok(Scalar::Str(text.to_string())),
        Some("binary") => decode_base64(text).map(Scalar::Str),
        Some(core @ ("null" | "bool" | "int" | "float" | "timestamp")) => {
            let resolved = resolve_plain(text);
            let ok = match (core, &resolved) {
                ("null", Scalar::Null)
                | ("bool", Scalar::Bool(_))
                | ("int", Scalar::Int(_) | Scalar::Uint(_))
                | ("float", Scalar::Float(_))
                | ("timestamp", Scalar::Timestamp(_)) => true,
                ("float", Scalar::Int(i)) => return Ok(Scalar::Float(*i as f64)),
                _ => false,
            };
            if ok { Ok(resolved) } else { Err(format!("cannot decode `{text}` as a !!{core}")) }
        }
        Some(_) => Ok(Scalar::Str(text.to_string())),
    }
}

/// v3's `resolve("", text)` for an unquoted scalar.
pub fn resolve_plain(text: &str) -> Scalar {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Scalar::Null,
        "true" | "True" | "TRUE" => return Scalar::Bool(true),
        "false" | "False" | "FALSE" => return Scalar::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Scalar::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Scalar::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Scalar::Float(f64::NEG_INFINITY),
        _ => {}
    }
    match text.as_bytes()[0] {
        b'.' => match text.parse::<f64>() {
            Ok(f) if go_parse_float_ok(text, f) => Scalar::Float(f),
            _ => Scalar::Str(text.to_string()),
        },
        b'+' | b'-' | b'0'..=b'9' => resolve_number(text),
        _ => Scalar::Str(text.to_string()),
    }
}

fn resolve_number(text: &str) -> Scalar {
    if let Some(timestamp) = parse_timestamp(text) {
        return Scalar::Timestamp(timestamp);
    }
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    if let Some(int) = go_parse_int(&plain) {
        return match i64::try_from(int) {
            Ok(i) => Scalar::Int(i),
            Err(_) => match u64::try_from(int) {
                Ok(u) if !plain.starts_with(['+', '-']) => Scalar::Uint(u),
                _ => float_or_string(text, &plain),
            },
        };
    }
    float_or_string(text, &plain)
}

fn float_or_string(text: &str, plain: &str) -> Scalar {
    if is_yaml_style_float(plain)
        && let Ok(f) = plain.parse::<f64>()
        && f.is_finite()
    {
        return Scalar::Float(f);
    }
    Scalar::Str(text.to_string())
}

/// Go's `strconv.ParseFloat` fails (out of range) where Rust gives ±inf.
fn go_parse_float_ok(text: &str, f: f64) -> bool {
    f.is_finite() && !text.contains(['i', 'I', 'n', 'N', '_', 'x', 'X', 'p', 'P'])
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(at) => (&s[..at], Some(&s[at + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", fraction)) => digits(fraction),
        Some((whole, fraction)) => digits(whole) && (fraction.is_empty() || digits(fraction)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// Go's `strconv.ParseInt(s, 0, 64)` widened: sign, then `0x`/`0X`,
/// `0o`/`0O`, `0b`/`0B`, or a leading `0` for octal. The result is checked
/// against int64 and uint64 by the caller.
fn go_parse_int(s: &str) -> Option<i128> {
    let (negative, unsigned) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = unsigned.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u128::from_str_radix(digits, radix).ok()?;
    if magnitude > u64::MAX as u128 {
        return None;
    }
    let value = magnitude as i128;
    Some(if negative { -value } else { value })
}

/// v3's `parseTimestamp`: `YYYY-M-D`, optionally followed by `T`/`t` and a
/// time with a zone (`Z` or `±hh:mm`), or by a space and a time without one.
/// Returns the timestamp as Go's `time.RFC3339Nano` writes it.
fn parse_timestamp(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    if bytes.len() < 5 || !bytes[..4].iter().all(u8::is_ascii_digit) || bytes[4] != b'-' {
        return None;
    }
    let (date, rest) = match s.find(['T', 't', ' ']) {
        Some(at) => (&s[..at], Some((bytes[at], &s[at + 1..]))),
        None => (s, None),
    };
    let mut parts = date.split('-');
    let year: u32 = parts.next()?.parse().ok()?;
    let month = short_number(parts.next()?, 1, 12)?;
    let day = short_number(parts.next()?, 1, days_in_month(year, month))?;
    if parts.next().is_some() {
        return None;
    }
    let Some((separator, time)) = rest else {
        return Some(format!("{year:04}-{month:02}-{day:02}T00:00:00Z"));
    };
    let (clock, zone) = if separator == b' ' {
        (time, "Z".to_string())
    } else if let Some(clock) = time.strip_suffix('Z') {
        (clock, "Z".to_string())
    } else {
        let at = time.rfind(['+', '-'])?;
        let zone = &time[at..];
        let (hours, minutes) = zone[1..].split_once(':')?;
        if hours.len() != 2 || minutes.len() != 2 {
            return None;
        }
        short_number(hours, 0, 23)?;
        short_number(minutes, 0, 59)?;
        let zone = if zone[1..] == *"00:00" { "Z".to_string() } else { zone.to_string() };
        (&time[..at], zone)
    };
    let (hms, fraction) = match clock.split_once('.') {
        Some((hms, fraction)) if !fraction.is_empty() && fraction.bytes().all(|b| b.is_ascii_digit()) => {
            (hms, fraction.trim_end_matches('0'))
        }
        Some(_) => return None,
        None => (clock, ""),
    };
    let mut units = hms.split(':');
    let hour = short_number(units.next()?, 0, 23)?;
    let minute = short_number(units.next()?, 0, 59)?;
    let second = short_number(units.next()?, 0, 59)?;
    if units.next().is_some() {
        return None;
    }
    let fraction = if fraction.is_empty() { String::new() } else { format!(".{}", &fraction[..fraction.len().min(9)]) };
    Some(format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{fraction}{zone}"))
}

/// A one- or two-digit number within bounds (Go's layout `1` / `15` / `4`).
fn short_number(s: &str, min: u32, max: u32) -> Option<u32> {
    if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u32 = s.parse().ok()?;
    (min..=max).contains(&n).then_some(n)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `!!binary`: standard base64, line breaks allowed.
fn decode_base64(text: &str) -> Result<String, String> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let invalid = || "!!binary value contains invalid base64 data".to_string();
    let clean: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !clean.len().is_multiple_of(4) {
        return Err(invalid());
    }
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        let mut pad = 0;
        for &b in chunk {
            let v = if b == b'=' {
                pad += 1;
                0
            } else {
                if pad > 0 {
                    return Err(invalid());
                }
                ALPHABET.iter().position(|&a| a == b).ok_or_else(invalid)? as u32
            };
            n = n << 6 | v;
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    String::from_utf8(out).map_err(|_| "!!binary data is not text".to_string())
}
