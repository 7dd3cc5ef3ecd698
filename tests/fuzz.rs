//! A mutation fuzzer for the parsers that read user input: state files,
//! values files, `-l` selectors, `--set`/`--state-values-set` expressions and
//! helm flag strings (`--args`, `helmDefaults.args`).
//!
//! It needs neither nightly Rust nor a fuzzing engine, so CI runs it with
//! every `cargo test`: each target starts from the committed corpus in
//! `tests/fuzz/corpus/`, mutates it (byte flips, YAML and flag tokens from a
//! dictionary, deletions, duplications, splices of two inputs) for a time
//! budget, and calls the parser. A parser may reject any input; it must not
//! panic and must not take long. Each finding is written to
//! `target/fuzz-findings/` and fails the run; add it to the corpus with the
//! fix.
//!
//! - `HELMFIRE_FUZZ_SECONDS`: the budget per target (default 4).
//! - `HELMFIRE_FUZZ_SEED`: replays a run (the seed is printed at start).

#![allow(clippy::print_stdout, clippy::print_stderr)] // a test harness reports on its output

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use helmfire::helm::{HelmFlags, ShimBackend};
use helmfire::pipeline::ShimEngine;
use helmfire::plan::Selectors;
use helmfire::state::{LoadOptions, SetKind, parse_set, parse_state};

/// One input slower than this is a finding: parsers are linear in their
/// input, which is a few kilobytes here.
const SLOW: Duration = Duration::from_secs(2);

/// Tokens that reach the parsers' interesting states faster than random
/// bytes do.
const YAML_TOKENS: &[&str] = &[
    ": ",
    "- ",
    "\n",
    "\n  ",
    "\n- ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "&a ",
    "*a",
    "<<: *a",
    "<<: ",
    "!!str ",
    "!!binary ",
    "!!int ",
    "---\n",
    "...\n",
    "'",
    "\"",
    "|\n  ",
    ">-\n  ",
    "#",
    "? ",
    "~",
    "null",
    "yes",
    "off",
    "0x1F",
    "0o17",
    "1e9",
    ".inf",
    "releases:\n- ",
    "name: ",
    "chart: ",
    "needs: [",
    "bases: [",
    "environments:\n  ",
    "values:\n  - ",
    "helmfiles:\n- ",
    "inherit:\n  - template: ",
    "templates:\n  ",
    "namespace: ",
    "\t",
    "\\",
    "%",
    "\u{feff}",
    "\u{0}",
    "é",
];
const FLAG_TOKENS: &[&str] = &[
    " ",
    "-",
    "--",
    "=",
    ",",
    "\\",
    ".",
    "[0]",
    "\\,",
    "\\.",
    "--set ",
    "--set-string ",
    "--values ",
    "--timeout ",
    "5m",
    "--wait",
    "--post-renderer ",
    "\"",
    "'",
    "!=",
    "a",
    "1",
    "null",
    "true",
];

fn main() {
    let budget = Duration::from_secs(env_number("HELMFIRE_FUZZ_SECONDS").unwrap_or(4));
    let seed = env_number("HELMFIRE_FUZZ_SEED").unwrap_or_else(clock_seed);
    println!("fuzz: seed {seed} (HELMFIRE_FUZZ_SEED replays it), {budget:?} per target");
    silence_panics();

    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus");
    let workdir = tempfile::tempdir().expect("a scratch directory for state files");
    let engine = ShimEngine::new(Arc::new(ShimBackend::new()));
    let overrides = serde_yaml_ng::Value::Mapping(Default::default());
    let state_file = workdir.path().join("helmfile.yaml");
    let parse_state_text = |text: &str| {
        let opts = LoadOptions {
            environment: "default",
            overrides: &overrides,
            namespace: "",
            chart: "",
            engine: &engine,
            render_yaml: false,
            selectors_conflict: &|_| false,
            inherited: None,
        };
        parse_state(&state_file, workdir.path(), text, &opts).map(drop).map_err(|e| e.to_string())
    };

    let targets: Vec<Target<'_>> = vec![
        Target { name: "state", seeds: files_in(&corpus.join("state")), tokens: YAML_TOKENS, run: &parse_state_text },
        Target {
            name: "values",
            seeds: files_in(&corpus.join("values")),
            tokens: YAML_TOKENS,
            run: &|text| helmfire::yaml::values_from_str(text).map(drop).map_err(|e| e.to_string()),
        },
        Target {
            name: "selector",
            seeds: lines_of(&corpus.join("selectors.txt")),
            tokens: FLAG_TOKENS,
            run: &|text| Selectors::parse(text.split('\n')).map(drop).map_err(|e| e.to_string()),
        },
        Target {
            name: "set",
            seeds: lines_of(&corpus.join("sets.txt")),
            tokens: FLAG_TOKENS,
            run: &|text| {
                parse_set(text, SetKind::String)?;
                parse_set(text, SetKind::Typed).map(drop)
            },
        },
        Target {
            name: "helm_flags",
            seeds: lines_of(&corpus.join("helm_flags.txt")),
            tokens: FLAG_TOKENS,
            run: &|text| {
                HelmFlags::without_effect(text);
                HelmFlags::parse(text, "fuzz").map(drop)
            },
        },
    ];

    let findings_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-findings");
    let mut rng = Rng(seed | 1);
    let mut findings = 0;
    for target in &targets {
        assert!(!target.seeds.is_empty(), "the corpus of `{}` is empty", target.name);
        let report = target.fuzz(&mut rng, budget);
        println!(
            "fuzz {}: {} inputs from {} seeds ({} rejected), {} findings",
            target.name,
            report.inputs,
            target.seeds.len(),
            report.rejected,
            report.findings.len()
        );
        for (index, finding) in report.findings.iter().enumerate() {
            findings += 1;
            std::fs::create_dir_all(&findings_dir).expect("creating target/fuzz-findings");
            let file = findings_dir.join(format!("{}-{seed}-{index}.txt", target.name));
            std::fs::write(&file, &finding.input).expect("writing a finding");
            println!("  {} ({}): input saved to {}", finding.what, target.name, file.display());
        }
    }
    if findings > 0 {
        eprintln!("fuzz: {findings} findings; replay with HELMFIRE_FUZZ_SEED={seed}");
        std::process::exit(1);
    }
}

struct Target<'a> {
    name: &'static str,
    seeds: Vec<Vec<u8>>,
    tokens: &'static [&'static str],
    /// Parses an input: `Err` is a rejection (with its message rendered).
    run: &'a dyn Fn(&str) -> Result<(), String>,
}

struct Finding {
    what: String,
    input: Vec<u8>,
}

struct Report {
    inputs: usize,
    rejected: usize,
    findings: Vec<Finding>,
}

impl Target<'_> {
    fn fuzz(&self, rng: &mut Rng, budget: Duration) -> Report {
        let deadline = Instant::now() + budget;
        let mut report = Report { inputs: 0, rejected: 0, findings: Vec::new() };
        // The seeds themselves first: each must be accepted as written, or
        // the fuzzing would only ever explore the error paths.
        for seed in &self.seeds {
            if let Err(message) = (self.run)(&String::from_utf8_lossy(seed)) {
                let what = format!("a corpus seed is rejected ({message})");
                report.findings.push(Finding { what, input: seed.clone() });
            }
        }
        while Instant::now() < deadline {
            let input = self.mutant(rng);
            report.inputs += 1;
            let text = String::from_utf8_lossy(&input);
            let start = Instant::now();
            let outcome = catch_unwind(AssertUnwindSafe(|| (self.run)(&text)));
            let took = start.elapsed();
            if let Ok(Err(message)) = &outcome {
                report.rejected += 1;
                if message.trim().is_empty() {
                    report.findings.push(Finding { what: "rejected with an empty message".into(), input });
                }
            } else if outcome.is_err() {
                let what = LAST_PANIC.with(|p| p.borrow_mut().take()).unwrap_or_else(|| "a panic".into());
                report.findings.push(Finding { what: format!("panicked: {what}"), input });
            } else if took > SLOW {
                report.findings.push(Finding { what: format!("took {took:?}"), input });
            }
            if report.findings.len() >= 10 {
                break;
            }
        }
        report
    }

    /// A seed (or two spliced) with one to eight mutations.
    fn mutant(&self, rng: &mut Rng) -> Vec<u8> {
        let mut input = self.seeds[rng.below(self.seeds.len())].clone();
        if rng.below(8) == 0 {
            let other = &self.seeds[rng.below(self.seeds.len())];
            let (cut, from) = (rng.below(input.len() + 1), rng.below(other.len() + 1));
            input.truncate(cut);
            input.extend_from_slice(&other[from..]);
        }
        for _ in 0..=rng.below(8) {
            let at = rng.below(input.len() + 1);
            match rng.below(5) {
                0 if at < input.len() => input[at] ^= 1 << rng.below(8),
                1 => {
                    let token = self.tokens[rng.below(self.tokens.len())];
                    input.splice(at..at, token.bytes());
                }
                2 if at < input.len() => {
                    let end = (at + 1 + rng.below(16)).min(input.len());
                    input.drain(at..end);
                }
                3 if at < input.len() => {
                    let end = (at + 1 + rng.below(64)).min(input.len());
                    let copy = input[at..end].to_vec();
                    let to = rng.below(input.len() + 1);
                    input.splice(to..to, copy);
                }
                _ => input.insert(at.min(input.len()), rng.below(256) as u8),
            }
        }
        input
    }
}

/// xorshift64*: small, fast and reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Records a panic's message and place for the report instead of printing
/// a backtrace per finding.
fn silence_panics() {
    std::panic::set_hook(Box::new(|info| {
        let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{message}{place}")));
    }));
}

fn files_in(dir: &Path) -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading the corpus {}: {e}", dir.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .collect();
    paths.sort();
    paths.iter().map(|p| std::fs::read(p).expect("a corpus file")).collect()
}

fn lines_of(file: &Path) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("reading the corpus {}: {e}", file.display()));
    text.lines().map(|l| l.as_bytes().to_vec()).collect()
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn clock_seed() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1)
}
