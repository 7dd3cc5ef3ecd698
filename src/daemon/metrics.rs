//! Prometheus metrics at `/metrics` (text exposition format 0.0.4).

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters and gauges the daemon's loop updates.
#[derive(Debug, Default)]
pub struct Metrics {
    syncs: AtomicU64,
    sync_failures: AtomicU64,
    sync_millis: AtomicU64,
    drift_checks: AtomicU64,
    drifted_objects: AtomicU64,
    healed_objects: AtomicU64,
    drift_millis: AtomicU64,
}

impl Metrics {
    /// A sync ended.
    pub fn sync(&self, ok: bool, seconds: f64) {
        self.syncs.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.sync_failures.fetch_add(1, Ordering::Relaxed);
        }
        self.sync_millis.fetch_add((seconds * 1000.0) as u64, Ordering::Relaxed);
    }

    /// A drift check ended with `drifted` objects (`healed` of them healed).
    pub fn drift(&self, drifted: u64, healed: u64, seconds: f64) {
        self.drift_checks.fetch_add(1, Ordering::Relaxed);
        self.drifted_objects.store(drifted, Ordering::Relaxed);
        self.healed_objects.fetch_add(healed, Ordering::Relaxed);
        self.drift_millis.fetch_add((seconds * 1000.0) as u64, Ordering::Relaxed);
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let secs = |c: &AtomicU64| get(c) as f64 / 1000.0;
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            out += &format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n");
        };
        metric(
            "helmfire_syncs_total",
            "counter",
            "Syncs run (start, interval, change, API).",
            get(&self.syncs).to_string(),
        );
        metric("helmfire_sync_failures_total", "counter", "Syncs that failed.", get(&self.sync_failures).to_string());
        metric(
            "helmfire_sync_duration_seconds_sum",
            "counter",
            "Time spent syncing.",
            secs(&self.sync_millis).to_string(),
        );
        metric("helmfire_drift_checks_total", "counter", "Drift checks run.", get(&self.drift_checks).to_string());
        metric(
            "helmfire_drifted_objects",
            "gauge",
            "Objects drifted at the last check.",
            get(&self.drifted_objects).to_string(),
        );
        metric(
            "helmfire_healed_objects_total",
            "counter",
            "Drifted objects healed.",
            get(&self.healed_objects).to_string(),
        );
        metric(
            "helmfire_drift_duration_seconds_sum",
            "counter",
            "Time spent checking drift.",
            secs(&self.drift_millis).to_string(),
        );
        out
    }
}

/// The election's gauges (`--leader-elect`): whether this daemon leads,
/// and who does.
pub fn leadership(l: &super::Leadership) -> String {
    let label = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    let mut out = format!(
        "# HELP helmfire_leader Whether this daemon holds the Lease.\n# TYPE helmfire_leader gauge\nhelmfire_leader{{lease=\"{}\",identity=\"{}\"}} {}\n",
        label(&l.lease),
        label(&l.identity),
        u8::from(l.leading)
    );
    if let Some(leader) = &l.leader {
        out += &format!(
            "# HELP helmfire_leader_info The daemon holding the Lease, as this one last saw it.\n# TYPE helmfire_leader_info gauge\nhelmfire_leader_info{{lease=\"{}\",leader=\"{}\"}} 1\n",
            label(&l.lease),
            label(leader)
        );
    }
    out
}

/// The state's source (`--source`): the revision fetched and the one
/// applied.
pub fn source(s: &super::SourceStatus) -> String {
    let label = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    let mut out = String::from(
        "# HELP helmfire_source_info The revision of --source fetched last, and the one the last good sync applied.\n# TYPE helmfire_source_info gauge\n",
    );
    for (what, revision) in [("fetched", &s.revision), ("applied", &s.applied)] {
        if let Some(revision) = revision {
            out += &format!(
                "helmfire_source_info{{url=\"{}\",revision=\"{}\",state=\"{what}\"}} 1\n",
                label(&s.url),
                label(revision)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_show_in_the_exposition_text() {
        let m = Metrics::default();
        m.sync(true, 1.5);
        m.sync(false, 0.5);
        m.drift(3, 1, 0.25);
        let text = m.render();
        for line in [
            "helmfire_syncs_total 2",
            "helmfire_sync_failures_total 1",
            "helmfire_sync_duration_seconds_sum 2",
            "helmfire_drifted_objects 3",
            "helmfire_healed_objects_total 1",
            "# TYPE helmfire_drifted_objects gauge",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing:\n{text}");
        }
    }

    #[test]
    fn the_leader_is_named_in_label_values() {
        let l = super::super::Leadership {
            lease: "ops/helmfire".into(),
            identity: "pod-a_1f".into(),
            leading: false,
            leader: Some("pod-\"b\"".into()),
        };
        let text = leadership(&l);
        assert!(text.contains("helmfire_leader{lease=\"ops/helmfire\",identity=\"pod-a_1f\"} 0\n"), "{text}");
        assert!(text.contains("helmfire_leader_info{lease=\"ops/helmfire\",leader=\"pod-\\\"b\\\"\"} 1\n"), "{text}");
    }
}
