//! Leader election for daemons run side by side (`daemon --leader-elect`,
//! replicas of a Deployment): they campaign for one coordination.k8s.io
//! Lease through client-go (go-shim/internal/lease). Only the holder syncs,
//! checks drift and takes changes through the API; the others answer reads
//! and say who leads. A holder that cannot renew in time stops acting and
//! exits (its Pod restarts as a candidate), before the Lease may pass to
//! another; SIGTERM gives the Lease up, so a successor takes over at once.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{oneshot, watch};

use crate::cli::GlobalSettings;
use crate::exec::call_helm;
use crate::helm::{HelmBackend, KubeTarget, LeaseHandle, LeaseStartRequest, LeaseStatus};

/// Where the ServiceAccount's namespace is mounted in a Pod.
const POD_NAMESPACE_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/// `--leader-elect` and its flags.
#[derive(Debug, Clone)]
pub struct ElectionOptions {
    /// `--lease-namespace`; None: the Pod's namespace in a cluster, else
    /// the kube context's.
    pub namespace: Option<String>,
    /// `--lease-name`.
    pub name: String,
}

/// What the daemon reports of the election (`/v1/status`, `/ready`,
/// metrics).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Leadership {
    /// The Lease, `namespace/name` (the namespace as the daemon was told,
    /// or empty for the context's).
    pub lease: String,
    /// This daemon's identity.
    pub identity: String,
    /// It holds the Lease.
    pub leading: bool,
    /// Who holds it, once known.
    pub leader: Option<String>,
}

/// A running election.
pub struct Elector {
    backend: Arc<dyn HelmBackend>,
    handle: LeaseHandle,
    /// What to report, kept up to date by [`Elector::poll`].
    pub leadership: Leadership,
}

impl Elector {
    /// Starts campaigning in the cluster of the global kube settings.
    pub async fn start(
        backend: Arc<dyn HelmBackend>,
        global: &GlobalSettings,
        options: &ElectionOptions,
    ) -> anyhow::Result<Elector> {
        let namespace = options.namespace.clone().or_else(pod_namespace).unwrap_or_default();
        let identity = identity();
        let request = LeaseStartRequest {
            kube: KubeTarget {
                kubeconfig: global.kubeconfig.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
                context: global.kube_context.clone().unwrap_or_default(),
                namespace: namespace.clone(),
            },
            name: options.name.clone(),
            identity: identity.clone(),
        };
        let handle = call_helm(Arc::clone(&backend), move |helm, call| helm.lease_start(call, &request))
            .await
            .map_err(|e| anyhow::anyhow!("starting leader election on Lease {}: {e}", options.name))?;
        let leadership =
            Leadership { lease: format!("{namespace}/{}", options.name), identity, leading: false, leader: None };
        Ok(Elector { backend, handle, leadership })
    }

    /// Reads the election's state and updates `leadership`.
    pub async fn poll(&mut self) -> anyhow::Result<LeaseStatus> {
        let handle = self.handle.clone();
        let status = call_helm(Arc::clone(&self.backend), move |helm, _| helm.lease_status(&handle))
            .await
            .map_err(|e| anyhow::anyhow!("reading the leader election: {e}"))?;
        self.leadership.leading = status.leading;
        self.leadership.leader = (!status.holder.is_empty()).then(|| status.holder.clone());
        Ok(status)
    }

    /// Gives the Lease up (when held) and ends the election.
    pub async fn release(&mut self) {
        let handle = self.handle.clone();
        let _ = call_helm(Arc::clone(&self.backend), move |helm, _| helm.lease_release(&handle)).await;
        self.leadership.leading = false;
    }
}

/// The Pod's namespace, when running in one.
fn pod_namespace() -> Option<String> {
    std::fs::read_to_string(POD_NAMESPACE_FILE).ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Unique among candidates and telling to people: the Pod's name (or the
/// host's) and a random suffix, as client-go's own examples make theirs.
fn identity() -> String {
    let host = std::env::var("POD_NAME")
        .or_else(|_| std::env::var("HOSTNAME"))
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "helmfire".into());
    let mut bytes = [0u8; 4];
    let _ = std::fs::File::open("/dev/urandom").and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
    let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{host}_{suffix}")
}

/// How often the daemon reads the election's state: well inside the gap
/// between client-go's renew deadline and lease duration (5 s).
const POLL: Duration = Duration::from_millis(500);

/// What the daemon may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Waiting for the Lease: answer reads only.
    Candidate,
    /// Holding it: act.
    Leader,
    /// Held it and could not renew in time: every Helm call was cancelled;
    /// stop.
    Lost,
}

/// An election followed in the background: its role for the daemon's loop,
/// its state for the reports.
pub struct Campaign {
    /// The current role.
    pub role: watch::Receiver<Role>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Campaign {
    /// Follows `elector`, calling `report` with each change. On losing the
    /// Lease it cancels every Helm call at once (a sync in flight stops
    /// before another daemon may take the Lease), then says Lost.
    pub fn follow(mut elector: Elector, report: impl Fn(&Leadership) + Send + 'static) -> Campaign {
        let (role_tx, role) = watch::channel(Role::Candidate);
        let (stop, mut stopped) = oneshot::channel();
        report(&elector.leadership);
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stopped => {
                        elector.release().await;
                        report(&elector.leadership);
                        return;
                    }
                    _ = tokio::time::sleep(POLL) => {}
                }
                let Ok(status) = elector.poll().await else { continue };
                let was_leader = *role_tx.borrow() == Role::Leader;
                report(&elector.leadership);
                if status.lost || (was_leader && !status.leading) {
                    elector.backend.cancel_all();
                    let _ = role_tx.send(Role::Lost);
                    return;
                }
                if status.leading && !was_leader {
                    let _ = role_tx.send(Role::Leader);
                }
            }
        });
        Campaign { role, stop: Some(stop), task }
    }

    /// Waits until the role is no longer Candidate, and returns it.
    pub async fn decided(&mut self) -> Role {
        let decided = self.role.wait_for(|r| *r != Role::Candidate).await.map(|r| *r);
        decided.unwrap_or(Role::Lost)
    }

    /// Resolves when the Lease is lost.
    pub async fn lost(&mut self) {
        let _ = self.role.wait_for(|r| *r == Role::Lost).await;
    }

    /// Gives the Lease up (when held) and ends the election.
    pub async fn end(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.task.await;
    }
}
