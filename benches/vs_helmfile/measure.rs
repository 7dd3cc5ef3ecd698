//! Runs one command and measures it: wall time, CPU time (user + sys) of the
//! whole process tree, and the peak resident memory of the tree.
//!
//! - CPU: the `cutime` and `cstime` fields of `/proc/self/stat` before and
//!   after the run. They count every descendant that was waited for (a
//!   process's waited-for children are folded into its own counts when it
//!   is reaped), so helm processes spawned by helmfile are included.
//! - Peak memory: a thread samples `/proc` every few milliseconds, sums the
//!   resident memory of the root process and all its descendants and keeps
//!   the maximum. A process that lives less than one sampling period can be
//!   missed. Descendants are found through `/proc/PID/task/TID/children`,
//!   which costs a few reads per process of the tree; scanning the parent
//!   pid of every process in `/proc` cost 0.8 ms of CPU per sample, a
//!   sixth of a core taken from the measured tool on a 2-CPU machine, and
//!   is only the fallback of a kernel without those files.
//!
//! Linux only, std only.

use std::collections::HashMap;
use std::fs;
use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How often the memory sampler looks at the process tree.
const SAMPLE_EVERY: Duration = Duration::from_millis(5);

/// Clock ticks per second of the `/proc` time fields (`sysconf(_SC_CLK_TCK)`,
/// 100 on every Linux architecture in practice).
const CLK_TCK: f64 = 100.0;

/// One measured run.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub wall: Duration,
    pub cpu: Duration,
    /// Peak resident memory of the process tree, bytes.
    pub rss: u64,
}

/// Runs `cmd` (stdout discarded, stderr kept for the error), waits for it,
/// and returns its measurements if it exited with one of `ok_codes`.
pub fn run(cmd: &mut Command, ok_codes: &[i32]) -> Result<Sample, String> {
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    let cpu_before = children_cpu();
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;

    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = Arc::clone(&done);
        let root = child.id();
        thread::spawn(move || {
            let mut peak = 0;
            while !done.load(Ordering::Relaxed) {
                peak = peak.max(tree_rss(root));
                thread::sleep(SAMPLE_EVERY);
            }
            peak
        })
    };
    // Read stderr while the child runs, so a chatty child never blocks on a
    // full pipe.
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let wall = start.elapsed();
    done.store(true, Ordering::Relaxed);
    let rss = sampler.join().unwrap_or(0);
    let cpu = children_cpu().saturating_sub(cpu_before);

    let code = status.code().unwrap_or(-1);
    if !ok_codes.contains(&code) {
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!("{cmd:?} exited with {status}:\n{}", tail.join("\n")));
    }
    Ok(Sample { wall, cpu, rss })
}

/// CPU time (user + sys) of this process's waited-for descendants.
fn children_cpu() -> Duration {
    let stat = fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields = stat_fields(&stat);
    // After the `(comm)` field: index 0 is field 3 (state); cutime and
    // cstime are fields 16 and 17.
    let ticks: u64 = [16, 17].iter().filter_map(|&n| fields.get(n - 3)?.parse::<u64>().ok()).sum();
    Duration::from_secs_f64(ticks as f64 / CLK_TCK)
}

/// The fields of a `/proc/PID/stat` line after `pid (comm)`; comm may
/// contain spaces and parentheses, so split after its last `)`.
fn stat_fields(stat: &str) -> Vec<&str> {
    stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default()
}

/// The summed resident memory, bytes, of `root` and its descendants now.
fn tree_rss(root: u32) -> u64 {
    static CHILDREN_FILES: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let listed = *CHILDREN_FILES.get_or_init(|| {
        let me = std::process::id();
        Path::new(&format!("/proc/{me}/task/{me}/children")).exists()
    });
    let parents = if listed { None } else { Some(parents_of_all()) };
    let mut total = 0;
    let mut stack = vec![root];
    while let Some(pid) = stack.pop() {
        total += resident(pid);
        match &parents {
            None => stack.extend(children(pid)),
            Some(children) => stack.extend(children.get(&pid).into_iter().flatten()),
        }
    }
    total
}

/// Checks that the sampler counts a child: this process's tree, with a
/// `sleep` started, holds more than this process alone.
pub fn check_tree_sampling() -> Result<(), String> {
    let me = std::process::id();
    let mut child = Command::new("sleep").arg("5").spawn().map_err(|e| format!("cannot start sleep: {e}"))?;
    // The child's own pages appear once it has exec'd sleep.
    thread::sleep(Duration::from_millis(100));
    let (alone, tree, child_rss) = (resident(me), tree_rss(me), resident(child.id()));
    let _ = child.kill();
    let _ = child.wait();
    if alone == 0 || child_rss == 0 || tree < alone + child_rss {
        return Err(format!("this process {alone} bytes, sleep {child_rss} bytes, the tree {tree} bytes"));
    }
    Ok(())
}

/// The children of `pid`, forked by any of its threads.
fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else { return Vec::new() };
    let mut kids = Vec::new();
    for task in tasks.flatten() {
        if let Ok(list) = fs::read_to_string(task.path().join("children")) {
            kids.extend(list.split_whitespace().filter_map(|k| k.parse::<u32>().ok()));
        }
    }
    kids
}

/// Every process's children, from the parent pid in each `/proc/PID/stat`.
fn parents_of_all() -> HashMap<u32, Vec<u32>> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(entries) = fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
            let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else { continue };
            if let Some(ppid) = stat_fields(&stat).get(1).and_then(|p| p.parse::<u32>().ok()) {
                children.entry(ppid).or_default().push(pid);
            }
        }
    }
    children
}

/// Resident memory of one process, bytes (0 if it is gone or a zombie):
/// the second field of `/proc/PID/statm`, in pages, which is what `VmRSS`
/// in `/proc/PID/status` reports, without the rest of that file.
fn resident(pid: u32) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/statm"))
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * page_size())
}

/// The size of a memory page, bytes: `KernelPageSize` of this process's
/// first mapping, 4096 when it cannot be read.
fn page_size() -> u64 {
    static PAGE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *PAGE.get_or_init(|| {
        fs::read_to_string("/proc/self/smaps")
            .ok()
            .and_then(|smaps| {
                smaps
                    .lines()
                    .find_map(|l| l.strip_prefix("KernelPageSize:"))?
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map_or(4096, |kb| kb * 1024)
    })
}

/// The median of each measurement over several runs (each median taken
/// separately).
pub fn median(samples: &[Sample]) -> Sample {
    fn mid<T: Ord + Copy>(mut v: Vec<T>) -> T {
        v.sort();
        v[v.len() / 2]
    }
    Sample {
        wall: mid(samples.iter().map(|s| s.wall).collect()),
        cpu: mid(samples.iter().map(|s| s.cpu).collect()),
        rss: mid(samples.iter().map(|s| s.rss).collect()),
    }
}

/// Waits until the machine is quiet: `quiet` consecutive seconds with at
/// least 80% of its CPU time idle (`/proc/stat`), or `limit`. Used after
/// installing releases: the test cluster's controllers and node keep
/// making their pods for a while, and a cell measured meanwhile measures
/// them too. Returns how long it waited and whether it got quiet.
pub fn wait_until_quiet(quiet: u32, limit: Duration) -> (Duration, bool) {
    /// (idle, total) jiffies of all CPUs so far.
    fn cpu_times() -> Option<(u64, u64)> {
        let stat = fs::read_to_string("/proc/stat").ok()?;
        let line = stat.lines().find(|l| l.starts_with("cpu "))?;
        let fields: Vec<u64> = line.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
        // user nice system idle iowait irq softirq steal ...
        let idle = fields.get(3)? + fields.get(4).copied().unwrap_or(0);
        Some((idle, fields.iter().sum()))
    }
    let start = Instant::now();
    let mut quiet_seconds = 0;
    let Some(mut before) = cpu_times() else { return (Duration::ZERO, false) };
    while start.elapsed() < limit {
        thread::sleep(Duration::from_secs(1));
        let Some(now) = cpu_times() else { return (start.elapsed(), false) };
        let (idle, total) = (now.0 - before.0, now.1 - before.1);
        before = now;
        quiet_seconds = if total > 0 && idle * 5 >= total * 4 { quiet_seconds + 1 } else { 0 };
        if quiet_seconds >= quiet {
            return (start.elapsed(), true);
        }
    }
    (start.elapsed(), false)
}
