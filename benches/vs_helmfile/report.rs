//! The results: a markdown table (operation, N, each tool's wall/CPU/peak
//! memory, helmfile/helmfire ratio), the targets of issue 6 checked against
//! it, and the same data as JSON.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};

use super::measure::Sample;

/// One tool's result for one row.
pub enum Cell {
    /// Medians over `runs` runs.
    Measured { median: Sample, runs: usize },
    /// Why there is no number (never a made-up one).
    NotMeasured(String),
}

/// One operation at one size, both tools.
pub struct Row {
    pub op: &'static str,
    pub n: usize,
    pub helmfire: Cell,
    pub helmfile: Cell,
}

impl Row {
    /// helmfile's wall time over helmfire's, when both were measured.
    fn ratio(&self) -> Option<f64> {
        match (&self.helmfire, &self.helmfile) {
            (Cell::Measured { median: a, .. }, Cell::Measured { median: b, .. }) => {
                Some(b.wall.as_secs_f64() / a.wall.as_secs_f64().max(1e-9))
            }
            _ => None,
        }
    }
}

/// The Helm SDK floor: the same template workload rendered by the SDK alone,
/// in a warm Go benchmark process (go-shim/bench_floor_test.go) and as a
/// process of its own (go-shim/cmd/helm-floor, `process`).
pub enum Floor {
    Measured { n: usize, sequential: Sample, parallel: Sample, workers: usize, process: Result<Sample, String> },
    NotMeasured(String),
}

/// Everything a report needs.
pub struct Report {
    pub rows: Vec<Row>,
    pub floor: Floor,
    /// Free-form lines: versions, machine, settings.
    pub notes: Vec<String>,
}

fn fmt_wall(d: Duration) -> String {
    if d < Duration::from_secs(1) { format!("{} ms", d.as_millis()) } else { format!("{:.2} s", d.as_secs_f64()) }
}

fn fmt_rss(bytes: u64) -> String {
    format!("{} MB", bytes / 1_000_000)
}

fn fmt_ratio(r: f64) -> String {
    if r >= 1.0 { format!("{r:.1}x faster") } else { format!("{:.1}x slower", 1.0 / r) }
}

/// Three markdown cells (wall, CPU, RSS) for one tool.
fn cells(cell: &Cell) -> String {
    match cell {
        Cell::Measured { median, .. } => {
            format!("{} | {} | {}", fmt_wall(median.wall), fmt_wall(median.cpu), fmt_rss(median.rss))
        }
        Cell::NotMeasured(why) => format!("not measured: {} | | ", shorten(why)),
    }
}

impl Report {
    fn find(&self, op: &str, n: usize) -> Option<&Row> {
        self.rows.iter().find(|r| r.op == op && r.n == n)
    }

    pub fn markdown(&self) -> String {
        let mut md = String::from("# helmfire vs helmfile + helm\n\n");
        md.push_str(
            "Medians over the runs (each tool run alternately). CPU is user+sys of the whole process \
             tree; RSS is the peak of the summed resident memory of the process tree.\n\n",
        );
        md.push_str(
            "| operation | N | helmfire wall | helmfire CPU | helmfire RSS | helmfile wall | helmfile CPU | \
             helmfile RSS | helmfile / helmfire |\n",
        );
        md.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
        for row in &self.rows {
            let ratio = row.ratio().map(fmt_ratio).unwrap_or_else(|| "n/a".into());
            writeln!(md, "| {} | {} | {} | {} | {ratio} |", row.op, row.n, cells(&row.helmfire), cells(&row.helmfile))
                .unwrap();
        }
        match &self.floor {
            Floor::Measured { n, sequential, parallel, workers, process } => {
                for (label, s) in [("sequential", sequential), (&*format!("{workers} goroutines"), parallel)] {
                    writeln!(
                        md,
                        "| template: Helm SDK floor, {label} | {n} | {} | {} | {} | | | | |",
                        fmt_wall(s.wall),
                        fmt_wall(s.cpu),
                        fmt_rss(s.rss)
                    )
                    .unwrap();
                }
                match process {
                    Ok(s) => writeln!(
                        md,
                        "| template: Helm SDK floor as a process, one goroutine per CPU | {n} | {} | {} | {} | | | | |",
                        fmt_wall(s.wall),
                        fmt_wall(s.cpu),
                        fmt_rss(s.rss)
                    ),
                    Err(why) => writeln!(
                        md,
                        "| template: Helm SDK floor as a process | {n} | not measured: {} | | | | | | |",
                        shorten(why)
                    ),
                }
                .unwrap();
            }
            Floor::NotMeasured(why) => {
                writeln!(md, "| template: Helm SDK floor | 100 | not measured: {} | | | | | | |", shorten(why)).unwrap()
            }
        }
        md.push_str("\n## Targets (issue 18)\n\n");
        for line in self.targets() {
            writeln!(md, "- {line}").unwrap();
        }
        md.push_str("\n## Setting\n\n");
        for line in &self.notes {
            writeln!(md, "- {line}").unwrap();
        }
        md
    }

    /// Each target, met or missed, or why it cannot be checked.
    fn targets(&self) -> Vec<String> {
        let mut out = Vec::new();
        let speed = |op: &str, n: usize, want: f64| match self.find(op, n) {
            Some(row) => match (row.ratio(), &row.helmfile) {
                (Some(r), _) => format!("{op} N={n} at least {want}x faster than helmfile: {}", verdict(r >= want, r)),
                (None, Cell::NotMeasured(why)) => {
                    format!("{op} N={n} at least {want}x faster: cannot be checked ({why})")
                }
                (None, _) => format!("{op} N={n} at least {want}x faster: cannot be checked (helmfire not measured)"),
            },
            None => format!("{op} N={n}: not run"),
        };
        out.push(speed("template", 100, 45.0));
        for n in [50, 200] {
            out.push(speed("diff (no-op)", n, 10.0));
            out.push(speed("apply (no-op)", n, 10.0));
        }
        match (&self.floor, self.find("template", 100).map(|r| &r.helmfire)) {
            (Floor::Measured { sequential, parallel, process, .. }, Some(Cell::Measured { median, .. })) => {
                let over = |floor: Duration| median.wall.as_secs_f64() / floor.as_secs_f64() - 1.0;
                let verdict = |over: f64| if over <= 0.30 { "met" } else { "missed" };
                // The floor is the faster of the SDK's two ways.
                let floor = sequential.wall.min(parallel.wall);
                out.push(format!(
                    "helmfire template N=100 at most 30% above the SDK floor ({}): {:+.0}%, {}",
                    fmt_wall(floor),
                    over(floor) * 100.0,
                    verdict(over(floor))
                ));
                // The same against a process that starts as helmfire does.
                match process {
                    Ok(s) => out.push(format!(
                        "helmfire template N=100 at most 30% above the SDK floor as a process ({}): {:+.0}%, {}",
                        fmt_wall(s.wall),
                        over(s.wall) * 100.0,
                        verdict(over(s.wall))
                    )),
                    Err(why) => out.push(format!("the SDK floor as a process: not measured ({why})")),
                }
            }
            (Floor::NotMeasured(why), _) => {
                out.push(format!("at most 30% above the SDK floor: cannot be checked ({why})"))
            }
            _ => out.push("at most 30% above the SDK floor: cannot be checked (helmfire not measured)".into()),
        }
        let (mut below, mut above) = (Vec::new(), Vec::new());
        for row in &self.rows {
            if let (Cell::Measured { median: a, .. }, Cell::Measured { median: b, .. }) = (&row.helmfire, &row.helmfile)
            {
                let label = format!("{} N={} ({} vs {})", row.op, row.n, fmt_rss(a.rss), fmt_rss(b.rss));
                if a.rss * 4 <= b.rss { below.push(label) } else { above.push(label) }
            }
        }
        out.push(format!(
            "peak memory at most a quarter of helmfile's process tree: {} of {} rows{}",
            below.len(),
            below.len() + above.len(),
            if above.is_empty() { String::new() } else { format!("; missed in {}", above.join(", ")) }
        ));
        out
    }

    pub fn json(&self) -> Value {
        fn cell(c: &Cell) -> Value {
            match c {
                Cell::Measured { median, runs } => json!({
                    "wall_seconds": median.wall.as_secs_f64(),
                    "cpu_seconds": median.cpu.as_secs_f64(),
                    "peak_rss_bytes": median.rss,
                    "runs": runs,
                }),
                Cell::NotMeasured(why) => json!({ "not_measured": why }),
            }
        }
        fn sample(s: &Sample) -> Value {
            json!({ "wall_seconds": s.wall.as_secs_f64(), "cpu_seconds": s.cpu.as_secs_f64(), "peak_rss_bytes": s.rss })
        }
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                json!({
                    "operation": r.op, "n": r.n,
                    "helmfire": cell(&r.helmfire), "helmfile": cell(&r.helmfile),
                    "helmfile_over_helmfire_wall": r.ratio(),
                })
            })
            .collect();
        let floor = match &self.floor {
            Floor::Measured { n, sequential, parallel, workers, process } => json!({
                "n": n, "sequential": sample(sequential), "parallel": sample(parallel), "workers": workers,
                "process": match process { Ok(s) => sample(s), Err(why) => json!({ "not_measured": why }) },
            }),
            Floor::NotMeasured(why) => json!({ "not_measured": why }),
        };
        json!({ "rows": rows, "floor": floor, "targets": self.targets(), "notes": self.notes })
    }
}

fn verdict(met: bool, ratio: f64) -> String {
    format!("{}, {}", fmt_ratio(ratio), if met { "met" } else { "missed" })
}

/// A reason cut to one table cell (the JSON keeps it whole).
fn shorten(why: &str) -> String {
    let one_line = why.replace(['\n', '|'], " ");
    match one_line.char_indices().nth(140) {
        Some((i, _)) => format!("{}...", &one_line[..i]),
        None => one_line,
    }
}
