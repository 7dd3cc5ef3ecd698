//! A release's desired state as a hash: its rendered manifests plus the
//! options it is deployed with. Two loads whose fingerprints agree would
//! deploy the same thing, so only releases whose fingerprint changed are
//! applied again.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// Fingerprints by release id (`context/namespace/name`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprints {
    by_release: BTreeMap<String, String>,
}

impl Fingerprints {
    /// Records a release's fingerprint from the parts of its desired state.
    pub fn insert(&mut self, release: String, parts: &[&[u8]]) {
        let mut hash = Sha256::new();
        for part in parts {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part);
        }
        let digest: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        self.by_release.insert(release, digest);
    }

    /// Releases that are new or whose fingerprint differs from `before`.
    pub fn changed_since(&self, before: &Fingerprints) -> Vec<String> {
        self.by_release
            .iter()
            .filter(|(id, hash)| before.by_release.get(*id) != Some(*hash))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Releases `before` had that are gone now.
    pub fn removed_since(&self, before: &Fingerprints) -> Vec<String> {
        before.by_release.keys().filter(|id| !self.by_release.contains_key(*id)).cloned().collect()
    }

    /// Forgets a release, so the next comparison sees it as changed (a
    /// failed apply is retried on the next change).
    pub fn forget(&mut self, release: &str) {
        self.by_release.remove(release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_releases_whose_parts_changed_are_reported() {
        let mut before = Fingerprints::default();
        before.insert("a".into(), &[b"manifest a", b"opts"]);
        before.insert("b".into(), &[b"manifest b", b"opts"]);
        before.insert("gone".into(), &[b"x"]);
        let mut after = Fingerprints::default();
        after.insert("a".into(), &[b"manifest a", b"opts"]);
        after.insert("b".into(), &[b"manifest b2", b"opts"]);
        after.insert("new".into(), &[b"y"]);
        assert_eq!(after.changed_since(&before), ["b", "new"]);
        assert_eq!(after.removed_since(&before), ["gone"]);
        // Parts are length-prefixed: moving a byte between parts is a change.
        let mut shifted = Fingerprints::default();
        shifted.insert("a".into(), &[b"manifest ", b"aopts"]);
        assert_eq!(shifted.changed_since(&before), ["a"]);
    }
}
