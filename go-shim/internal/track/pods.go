package track

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// hasPods tells the kinds whose Pods are followed too: their readiness
// hides why a rollout is stuck.
func hasPods(kind string) bool {
	switch kind {
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job":
		return true
	}
	return false
}

// podsOf lists the Pods a workload selects.
func (t *Tracker) podsOf(ctx context.Context, o *object) []corev1.Pod {
	selector, ok := labelSelector(o.live)
	if !ok {
		return nil
	}
	list, err := t.core.CoreV1().Pods(o.namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil
	}
	return list.Items
}

// labelSelector is a workload's spec.selector.matchLabels as a selector
// string (matchExpressions are rare on workloads and left out).
func labelSelector(u *unstructured.Unstructured) (string, bool) {
	labels, found, err := unstructured.NestedStringMap(u.Object, "spec", "selector", "matchLabels")
	if err != nil || !found || len(labels) == 0 {
		return "", false
	}
	parts := make([]string, 0, len(labels))
	for k, v := range labels {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ","), true
}

// pollPods says each Pod problem once, when it appears or changes, and
// streams container logs when asked.
func (t *Tracker) pollPods(ctx context.Context, o *object) {
	for _, pod := range t.podsOf(ctx, o) {
		problem := podProblem(&pod)
		if problem != t.pods[pod.Name] && problem != "" {
			t.emit(fmt.Sprintf("pod/%s: %s", pod.Name, problem))
		}
		t.pods[pod.Name] = problem
		if t.opts.Logs {
			t.streamLogs(ctx, &pod)
		}
	}
}

// podProblem is why a Pod is not running well, "" when nothing is wrong.
func podProblem(pod *corev1.Pod) string {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			return fmt.Sprintf("cannot be scheduled (%s): %s", c.Reason, c.Message)
		}
	}
	var problems []string
	statuses := append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...)
	for _, cs := range statuses {
		if p := containerProblem(cs); p != "" {
			problems = append(problems, p)
		}
	}
	return strings.Join(problems, "; ")
}

func containerProblem(cs corev1.ContainerStatus) string {
	switch {
	case cs.State.Waiting != nil && cs.State.Waiting.Reason != "" &&
		cs.State.Waiting.Reason != "ContainerCreating" && cs.State.Waiting.Reason != "PodInitializing":
		p := fmt.Sprintf("container %s is waiting: %s", cs.Name, cs.State.Waiting.Reason)
		if cs.State.Waiting.Message != "" {
			p += ": " + cs.State.Waiting.Message
		}
		if t := cs.LastTerminationState.Terminated; t != nil && t.ExitCode != 0 {
			p += fmt.Sprintf(" (last exit code %d)", t.ExitCode)
		}
		return p
	case cs.State.Terminated != nil && cs.State.Terminated.ExitCode != 0:
		t := cs.State.Terminated
		return fmt.Sprintf("container %s exited with code %d (%s)", cs.Name, t.ExitCode, t.Reason)
	case cs.RestartCount > 0:
		return fmt.Sprintf("container %s restarted %d times", cs.Name, cs.RestartCount)
	}
	return ""
}

// failed tells a container whose logs explain a failure.
func failed(cs corev1.ContainerStatus) bool {
	return (cs.State.Terminated != nil && cs.State.Terminated.ExitCode != 0) ||
		(cs.State.Waiting != nil && cs.State.Waiting.Reason == "CrashLoopBackOff")
}

// streamLogs says the log lines each container of pod wrote since the last
// poll (`trackLogs`). A log the API cannot serve is skipped quietly: a Pod
// still starting has none yet.
func (t *Tracker) streamLogs(ctx context.Context, pod *corev1.Pod) {
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.State.Running == nil && cs.State.Terminated == nil {
			continue
		}
		key := pod.Namespace + "/" + pod.Name + "/" + cs.Name
		opts := &corev1.PodLogOptions{Container: cs.Name, Timestamps: true}
		since, seen := t.logsAt[key]
		if seen {
			opts.SinceTime = &metav1.Time{Time: since}
		}
		data, err := t.core.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, opts).Do(ctx).Raw()
		if err != nil {
			continue
		}
		scanner := bufio.NewScanner(strings.NewReader(string(data)))
		for scanner.Scan() {
			stamp, text, _ := strings.Cut(scanner.Text(), " ")
			at, err := time.Parse(time.RFC3339Nano, stamp)
			if err != nil || (seen && !at.After(since)) {
				continue
			}
			t.logsAt[key] = at
			t.emit(fmt.Sprintf("pod/%s/%s: %s", pod.Name, cs.Name, text))
		}
	}
}

// lastLogLines is the end of a failed container's log (its previous run's
// when it is waiting to restart), each line indented, or why it is missing.
func (t *Tracker) lastLogLines(ctx context.Context, pod *corev1.Pod, cs corev1.ContainerStatus) string {
	tail := int64(logTail)
	opts := &corev1.PodLogOptions{Container: cs.Name, TailLines: &tail, Previous: cs.State.Waiting != nil && cs.RestartCount > 0}
	data, err := t.core.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, opts).Do(ctx).Raw()
	if err != nil {
		return fmt.Sprintf("    (its log is not available: %v)", err)
	}
	text := strings.TrimRight(string(data), "\n")
	if text == "" {
		return "    (its log is empty)"
	}
	return "    | " + strings.ReplaceAll(text, "\n", "\n    | ")
}
