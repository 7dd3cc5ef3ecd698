//! YAML written as helmfile writes it: go-yaml v3's encoder with an indent
//! of 2 (helmfile's `toYaml`, `build`, `write-values`, and the temporary
//! values files it hands helm).
//!
//! What matters most is the quoting: a string that some YAML reader could
//! take for something else (`off`, `017`, `1e3`, `null`, `12:30`) is
//! double-quoted, so helm's YAML 1.1 parser reads it back as the same
//! string. Scalar styles follow libyaml's analysis as v3 runs it: plain when
//! allowed, else single-quoted, else double-quoted; strings with line breaks
//! as literal blocks. Mapping keys of Go maps are sorted as v3 sorts them
//! (digit runs compared as numbers).

use serde_yaml_ng::Value;

use super::resolve::{Scalar, resolve_plain};

/// Whether mappings keep their order (Go structs) or are sorted (Go maps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrder {
    /// As v3 writes a `map[string]any`: keys sorted.
    Sorted,
    /// As v3 writes a struct: in the order given.
    AsGiven,
}

/// One YAML document, as `yaml.NewEncoder` with `SetIndent(2)` writes it.
pub fn to_string(value: &Value, order: KeyOrder) -> String {
    let mut out = String::new();
    let emitter = Emitter { order };
    match value {
        Value::Mapping(map) if !map.is_empty() => emitter.mapping_entries(&mut out, map, 0),
        Value::Sequence(items) if !items.is_empty() => emitter.sequence_items(&mut out, items, 0),
        other => {
            emitter.scalar_or_empty(&mut out, other, 0);
            out.push('\n');
        }
    }
    out
}

struct Emitter {
    order: KeyOrder,
}

const INDENT: usize = 2;

impl Emitter {
    fn entries<'v>(&self, map: &'v serde_yaml_ng::Mapping) -> Vec<(&'v Value, &'v Value)> {
        let mut entries: Vec<_> = map.iter().collect();
        if self.order == KeyOrder::Sorted {
            entries.sort_by(|a, b| key_order(a.0, b.0));
        }
        entries
    }

    /// Entries of a non-empty mapping, each on its own line at `indent`; the
    /// first starts where the cursor is (after `- ` in a sequence).
    fn mapping_entries(&self, out: &mut String, map: &serde_yaml_ng::Mapping, indent: usize) {
        for (i, (key, value)) in self.entries(map).into_iter().enumerate() {
            if i > 0 {
                pad(out, indent);
            }
            out.push_str(&key_text(key));
            out.push(':');
            self.value_after_indicator(out, value, indent);
        }
    }

    /// Items of a non-empty sequence at `indent`; the first starts where the
    /// cursor is.
    fn sequence_items(&self, out: &mut String, items: &[Value], indent: usize) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                pad(out, indent);
            }
            out.push_str("- ");
            match item {
                Value::Mapping(map) if !map.is_empty() => self.mapping_entries(out, map, indent + INDENT),
                Value::Sequence(items) if !items.is_empty() => self.sequence_items(out, items, indent + INDENT),
                other => {
                    self.scalar_or_empty(out, other, indent + INDENT);
                    out.push('\n');
                }
            }
        }
    }

    /// What follows `key:` of an entry at `indent`.
    fn value_after_indicator(&self, out: &mut String, value: &Value, indent: usize) {
        match value {
            Value::Mapping(map) if !map.is_empty() => {
                out.push('\n');
                pad(out, indent + INDENT);
                self.mapping_entries(out, map, indent + INDENT);
            }
            Value::Sequence(items) if !items.is_empty() => {
                out.push('\n');
                pad(out, indent + INDENT);
                self.sequence_items(out, items, indent + INDENT);
            }
            other => {
                out.push(' ');
                self.scalar_or_empty(out, other, indent + INDENT);
                out.push('\n');
            }
        }
    }

    /// A scalar or an empty collection; block scalars' lines go at
    /// `content_indent`.
    fn scalar_or_empty(&self, out: &mut String, value: &Value, content_indent: usize) {
        match value {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(&number_text(n)),
            Value::String(s) => string_value(out, s, content_indent),
            Value::Sequence(_) => out.push_str("[]"),
            Value::Mapping(_) => out.push_str("{}"),
            Value::Tagged(tagged) => self.scalar_or_empty(out, &tagged.value, content_indent),
        }
    }
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn number_text(n: &serde_yaml_ng::Number) -> String {
    if n.is_f64() {
        let f = n.as_f64().unwrap_or(f64::NAN);
        if f.is_nan() {
            ".nan".into()
        } else if f.is_infinite() {
            if f > 0.0 { ".inf".into() } else { "-.inf".into() }
        } else {
            go_format_float(f)
        }
    } else {
        n.to_string()
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)` (also `fmt`'s `%v`): the
/// shortest digits, in exponent form when the exponent is below -4 or at
/// least 6 (`1.5e+06`, `1e-05`), else plain (`123456`, `0.1`, `1`).
pub fn go_format_float(f: f64) -> String {
    let scientific = format!("{f:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..6).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    } else {
        format!("{f}")
    }
}

/// A mapping key: scalars as values are written, but never as blocks.
fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => {
            let mut out = String::new();
            match choose_style(s, true) {
                ScalarStyle::Plain => out.push_str(s),
                ScalarStyle::Single => single_quoted(&mut out, s),
                ScalarStyle::Double | ScalarStyle::Literal => double_quoted(&mut out, s),
            }
            out
        }
        Value::Number(n) => number_text(n),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        other => serde_json::to_string(&super::to_json(other)).unwrap_or_default(),
    }
}

fn string_value(out: &mut String, s: &str, content_indent: usize) {
    match choose_style(s, false) {
        ScalarStyle::Plain => out.push_str(s),
        ScalarStyle::Single => single_quoted(out, s),
        ScalarStyle::Double => double_quoted(out, s),
        ScalarStyle::Literal => literal(out, s, content_indent),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScalarStyle {
    Plain,
    Single,
    Double,
    Literal,
}

/// v3's `stringv` request, then libyaml's `select_scalar_style` in block
/// context.
fn choose_style(s: &str, simple_key: bool) -> ScalarStyle {
    let can_use_plain = matches!(resolve_plain_or_str(s), Scalar::Str(_)) && !is_base60_float(s) && !is_old_bool(s);
    let requested = if s.contains('\n') {
        ScalarStyle::Literal
    } else if can_use_plain {
        ScalarStyle::Plain
    } else {
        ScalarStyle::Double
    };
    let analysis = analyze(s);
    let mut style = requested;
    if simple_key && analysis.multiline {
        style = ScalarStyle::Double;
    }
    if style == ScalarStyle::Plain {
        if !analysis.block_plain_allowed {
            style = ScalarStyle::Single;
        }
        if s.is_empty() && simple_key {
            style = ScalarStyle::Single;
        }
    }
    if style == ScalarStyle::Single && !analysis.single_quoted_allowed {
        style = ScalarStyle::Double;
    }
    if style == ScalarStyle::Literal && (!analysis.block_allowed || simple_key) {
        style = ScalarStyle::Double;
    }
    style
}

fn resolve_plain_or_str(s: &str) -> Scalar {
    if s.is_empty() { Scalar::Null } else { resolve_plain(s) }
}

fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF"
    )
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
fn is_base60_float(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (whole, fraction) = match s.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    if fraction.is_some_and(|f| !f.bytes().all(|b| b.is_ascii_digit() || b == b'_')) {
        return false;
    }
    let mut parts = whole.split(':');
    let head = parts.next().unwrap_or_default();
    if !head.starts_with(|c: char| c.is_ascii_digit()) || !head.bytes().all(|b| b.is_ascii_digit() || b == b'_') {
        return false;
    }
    let mut sexagesimal = 0;
    for part in parts {
        sexagesimal += 1;
        let ok = match part.as_bytes() {
            [d] => d.is_ascii_digit(),
            [a, b] => (b'0'..=b'5').contains(a) && b.is_ascii_digit(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    sexagesimal > 0
}

struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

/// libyaml's `yaml_emitter_analyze_scalar`, for block context.
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let (mut line_breaks, mut special, mut tabs) = (false, false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) = (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_whitespace = chars.get(i + 1).is_none_or(|&n| is_blank(n));
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%' | '@' | '`' => {
                    block_indicators = true
                }
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if c == '\t' {
            tabs = true;
        } else if !is_printable(c) {
            special = true;
        }
        let last = i + 1 == chars.len();
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= last;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blank(c) || is_break(c);
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || tabs || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// libyaml's `is_printable` (with unicode output on).
fn is_printable(c: char) -> bool {
    matches!(c, '\n' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        && c != '\u{FEFF}'
}

fn single_quoted(out: &mut String, s: &str) {
    out.push('\'');
    out.push_str(&s.replace('\'', "''"));
    out.push('\'');
}

fn double_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0B' => out.push_str("\\v"),
            '\x0C' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\x1B' => out.push_str("\\e"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{85}' => out.push_str("\\N"),
            '\u{A0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if is_printable(c) && !is_break(c) => out.push(c),
            c if (c as u32) <= 0xFF => out.push_str(&format!("\\x{:02X}", c as u32)),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push_str(&format!("\\U{:08X}", c as u32)),
        }
    }
    out.push('"');
}

/// A `|` block: an indentation indicator when the text starts with a space
/// or a break, and the chomping indicator its trailing breaks need.
fn literal(out: &mut String, s: &str, indent: usize) {
    out.push('|');
    if s.starts_with([' ', '\n']) {
        out.push_str(&INDENT.to_string());
    }
    let trailing = s.len() - s.trim_end_matches('\n').len();
    match trailing {
        0 => out.push('-'),
        1 if s.len() > 1 => {}
        _ => out.push('+'),
    }
    let body = if trailing > 0 { &s[..s.len() - 1] } else { s };
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
    }
}

/// v3's `keyList.Less` for two keys: numbers by value, strings with digit
/// runs compared as numbers (`x9` < `x10`), letters before digits after a
/// common prefix that ends in a letter.
fn key_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (Value::String(a), Value::String(b)) = (a, b) else {
        return match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => super::key_string(a).cmp(&super::key_string(b)),
        };
    };
    let less = |a: &str, b: &str| -> bool {
        let ar: Vec<char> = a.chars().collect();
        let br: Vec<char> = b.chars().collect();
        let mut digits = false;
        let mut i = 0;
        while i < ar.len() && i < br.len() {
            if ar[i] == br[i] {
                digits = ar[i].is_ascii_digit();
                i += 1;
                continue;
            }
            let al = ar[i].is_alphabetic();
            let bl = br[i].is_alphabetic();
            if al && bl {
                return ar[i] < br[i];
            }
            if al || bl {
                return if digits { al } else { bl };
            }
            let (mut an, mut bn): (i64, i64) = (0, 0);
            if ar[i] == '0' || br[i] == '0' {
                let mut j = i;
                while j > 0 && ar[j - 1].is_ascii_digit() {
                    j -= 1;
                    if ar[j] != '0' {
                        an = 1;
                        bn = 1;
                        break;
                    }
                }
            }
            let mut ai = i;
            while ai < ar.len() && ar[ai].is_ascii_digit() {
                an = an.wrapping_mul(10).wrapping_add(ar[ai] as i64 - '0' as i64);
                ai += 1;
            }
            let mut bi = i;
            while bi < br.len() && br[bi].is_ascii_digit() {
                bn = bn.wrapping_mul(10).wrapping_add(br[bi] as i64 - '0' as i64);
                bi += 1;
            }
            if an != bn {
                return an < bn;
            }
            if ai != bi {
                return ai < bi;
            }
            return ar[i] < br[i];
        }
        ar.len() < br.len()
    };
    if less(a, b) {
        Ordering::Less
    } else if less(b, a) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}
