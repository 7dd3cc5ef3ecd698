package kube

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	helmkube "helm.sh/helm/v4/pkg/kube"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
)

// One Helm action reads its release's history several times: `upgrade`
// reads the last revision (helmfire, then Helm), the deployed one, and the
// whole history again to prune it to --history-max, each a label-selected
// list of the namespace's Secrets. The API server answers each by going
// through every Secret of the namespace, so with a few hundred releases
// in a namespace each read costs as much as the rest of a no-op upgrade.
//
// A session outside a read-only phase therefore reads each release's
// history once, when Helm first asks, and answers Helm's later queries
// from that read, kept current with the session's own writes (every write
// Helm makes to its storage goes through the driver). Nothing is kept
// beyond the session: the next action reads afresh, as helm's would, so
// no other writer is hidden for longer than within one action, where
// Helm's own reads are minutes apart too (a --wait between them).

// HistoryReads counts the label queries a session answered from its own
// read of the release's history, for tests.
var HistoryReads atomic.Int64

// actionSecrets is the Secrets client of one action's release storage.
type actionSecrets struct {
	corev1client.SecretInterface

	mu        sync.Mutex
	histories map[string][]corev1.Secret // release name -> its Secrets, as read and written since
}

// useActionHistory gives the session a release storage that reads each
// release's history once (see above).
func (s *Session) useActionHistory() error {
	kc, ok := s.Config.KubeClient.(*helmkube.Client)
	if !ok {
		return nil // not Helm's client: keep its own storage
	}
	clients, err := kc.Factory.KubernetesClientSet()
	if err != nil {
		return err
	}
	s.useSecrets(&actionSecrets{SecretInterface: clients.CoreV1().Secrets(s.Namespace), histories: map[string][]corev1.Secret{}})
	return nil
}

// useSecrets makes the session's release storage Helm's Secrets driver
// over client.
func (s *Session) useSecrets(client corev1client.SecretInterface) {
	secrets := driver.NewSecrets(client)
	secrets.SetLogger(slog.Default().Handler())
	maxHistory := 0
	if s.Config.Releases != nil {
		maxHistory = s.Config.Releases.MaxHistory
	}
	s.Config.Releases = storage.Init(secrets)
	s.Config.Releases.MaxHistory = maxHistory
}

// releaseQueried is the release a storage query is about: Helm's history
// queries select `name=<release>,owner=helm` and perhaps more labels.
func releaseQueried(selector string) (string, labels.Selector, bool) {
	sel, err := labels.Parse(selector)
	if err != nil {
		return "", nil, false
	}
	requirements, _ := sel.Requirements()
	name, owner := "", ""
	for _, r := range requirements {
		if r.Operator() != selection.Equals && r.Operator() != selection.DoubleEquals {
			continue
		}
		values := r.Values().UnsortedList()
		if len(values) != 1 {
			continue
		}
		switch r.Key() {
		case "name":
			name = values[0]
		case "owner":
			owner = values[0]
		}
	}
	return name, sel, name != "" && owner == "helm"
}

func (c *actionSecrets) List(ctx context.Context, opts metav1.ListOptions) (*corev1.SecretList, error) {
	if opts.Watch || opts.Limit != 0 || opts.Continue != "" || opts.ResourceVersion != "" || opts.FieldSelector != "" {
		return c.SecretInterface.List(ctx, opts)
	}
	name, sel, ok := releaseQueried(opts.LabelSelector)
	if !ok {
		return c.SecretInterface.List(ctx, opts)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	history, known := c.histories[name]
	if known {
		HistoryReads.Add(1)
	} else {
		all := labels.Set{"name": name, "owner": "helm"}.AsSelector().String()
		list, err := c.SecretInterface.List(ctx, metav1.ListOptions{LabelSelector: all})
		if err != nil {
			return nil, err
		}
		history = list.Items
		c.histories[name] = history
	}
	out := &corev1.SecretList{}
	for i := range history {
		if sel.Matches(labels.Set(history[i].Labels)) {
			// A copy: the driver hands the labels map to the release it decodes.
			out.Items = append(out.Items, *history[i].DeepCopy())
		}
	}
	return out, nil
}

func (c *actionSecrets) Create(ctx context.Context, secret *corev1.Secret, opts metav1.CreateOptions) (*corev1.Secret, error) {
	created, err := c.SecretInterface.Create(ctx, secret, opts)
	if err == nil && opts.DryRun == nil {
		c.remember(created)
	}
	return created, err
}

func (c *actionSecrets) Update(ctx context.Context, secret *corev1.Secret, opts metav1.UpdateOptions) (*corev1.Secret, error) {
	updated, err := c.SecretInterface.Update(ctx, secret, opts)
	if err == nil && opts.DryRun == nil {
		c.remember(updated)
	}
	return updated, err
}

func (c *actionSecrets) Delete(ctx context.Context, key string, opts metav1.DeleteOptions) error {
	err := c.SecretInterface.Delete(ctx, key, opts)
	if (err == nil || apierrors.IsNotFound(err)) && opts.DryRun == nil {
		c.forget(key)
	}
	return err
}

// remember puts a Secret the session wrote into the history read of its
// release (a release not read yet is read from the server when asked).
func (c *actionSecrets) remember(secret *corev1.Secret) {
	if secret == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	history, known := c.histories[secret.Labels["name"]]
	if !known {
		return
	}
	for i := range history {
		if history[i].Name == secret.Name {
			history[i] = *secret.DeepCopy()
			return
		}
	}
	c.histories[secret.Labels["name"]] = append(history, *secret.DeepCopy())
}

// forget takes a deleted Secret out of every history read.
func (c *actionSecrets) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, history := range c.histories {
		for i := range history {
			if history[i].Name == key {
				c.histories[name] = append(history[:i:i], history[i+1:]...)
				return
			}
		}
	}
}
