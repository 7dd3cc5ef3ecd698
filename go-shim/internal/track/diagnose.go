package track

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// maxEvents bounds the warning events a diagnosis shows.
const maxEvents = 8

// Diagnose says why the release's objects are not ready: each object that
// is not, its Pods' problems, recent warning events about them, and (with
// FailedLogs or Logs) the last log lines of the containers that failed.
// It reads the cluster once more with a short deadline of its own, since
// the deployment's context has usually expired by now.
func (t *Tracker) Diagnose() string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t.poll(ctx)
	t.mu.Lock()
	defer t.mu.Unlock()
	var b strings.Builder
	names := map[string]bool{}
	reported := map[string]bool{} // pod problems said, so events repeating them are not
	for _, o := range t.objects {
		if o.status == status.CurrentStatus {
			continue
		}
		names[o.name] = true
		fmt.Fprintf(&b, "\n  %s is not ready: %s", o.ref(), o.last)
		if o.live == nil || !hasPods(o.kind) {
			continue
		}
		pods := t.podsOf(ctx, o)
		said := sayPodProblems(&b, pods)
		for text := range said {
			reported[text] = true
		}
		for _, pod := range pods {
			names[pod.Name] = true
			if !t.opts.FailedLogs && !t.opts.Logs {
				continue
			}
			for _, cs := range pod.Status.ContainerStatuses {
				if failed(cs) {
					fmt.Fprintf(&b, "\n  last lines of pod/%s container %s:\n%s", pod.Name, cs.Name, t.lastLogLines(ctx, &pod, cs))
				}
			}
		}
	}
	if len(names) == 0 {
		return ""
	}
	for _, e := range t.warnings(ctx, names) {
		if reportedAlready(reported, e.Message) {
			continue
		}
		fmt.Fprintf(&b, "\n  event %s %s/%s: %s", e.Reason, strings.ToLower(e.InvolvedObject.Kind), e.InvolvedObject.Name, strings.TrimSpace(e.Message))
	}
	return b.String()
}

// warnings are the latest Warning events about the named objects, in the
// namespaces the release uses.
func (t *Tracker) warnings(ctx context.Context, names map[string]bool) []corev1.Event {
	namespaces := map[string]bool{}
	for _, o := range t.objects {
		namespaces[o.namespace] = true
	}
	var out []corev1.Event
	for ns := range namespaces {
		list, err := t.core.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "type=Warning"})
		if err != nil {
			continue
		}
		for _, e := range list.Items {
			if names[e.InvolvedObject.Name] {
				out = append(out, e)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return eventTime(out[i]).Before(eventTime(out[j])) })
	if len(out) > maxEvents {
		out = out[len(out)-maxEvents:]
	}
	return out
}

func eventTime(e corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}

// sayPodProblems writes the Pods' problems, Pods with the same problem on
// one line (a Deployment's replicas usually fail alike), and returns the
// problems said.
func sayPodProblems(b *strings.Builder, pods []corev1.Pod) map[string]bool {
	byProblem := map[string][]string{}
	var order []string
	for i := range pods {
		problem := podProblem(&pods[i])
		if problem == "" {
			continue
		}
		if _, seen := byProblem[problem]; !seen {
			order = append(order, problem)
		}
		byProblem[problem] = append(byProblem[problem], pods[i].Name)
	}
	said := map[string]bool{}
	for _, problem := range order {
		names := byProblem[problem]
		switch len(names) {
		case 1:
			fmt.Fprintf(b, "\n  pod/%s: %s", names[0], problem)
		default:
			fmt.Fprintf(b, "\n  %d pods (%s): %s", len(names), strings.Join(names, ", "), problem)
		}
		said[problem] = true
	}
	return said
}

// reportedAlready tells an event whose message a Pod problem already said
// (the scheduler's FailedScheduling repeats the Pod's condition).
func reportedAlready(reported map[string]bool, message string) bool {
	message = strings.TrimSpace(message)
	for problem := range reported {
		if strings.Contains(problem, message) {
			return true
		}
	}
	return false
}
