package dev.keyturn.server;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Request counters in the Prometheus text format, for {@code GET /metrics}. Labels are route
 * actions and status codes only: nothing a caller sends ends up in a label. Thread-safe.
 */
final class Metrics {
  private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> nanos = new ConcurrentHashMap<>();
  private final LongAdder throttled = new LongAdder();
  private final LongAdder auditFailures = new LongAdder();
  private final LongAdder auditEvents = new LongAdder();

  void request(String action, int status, long elapsedNanos) {
    requests
        .computeIfAbsent(
            "action=\"" + action + "\",status=\"" + status + "\"", k -> new LongAdder())
        .increment();
    nanos.computeIfAbsent("action=\"" + action + "\"", k -> new LongAdder()).add(elapsedNanos);
  }

  void throttled() {
    throttled.increment();
  }

  void auditAppended(int events) {
    auditEvents.add(events);
  }

  void auditFailed() {
    auditFailures.increment();
  }

  String render() {
    StringBuilder out = new StringBuilder();
    out.append("# HELP keyturn_http_requests_total API requests by route action and status.\n");
    out.append("# TYPE keyturn_http_requests_total counter\n");
    new TreeMap<>(requests)
        .forEach((labels, n) -> line(out, "keyturn_http_requests_total{" + labels + "}", n.sum()));
    out.append("# HELP keyturn_http_request_seconds_sum Time spent answering, by route action.\n");
    out.append("# TYPE keyturn_http_request_seconds_sum counter\n");
    new TreeMap<>(nanos)
        .forEach((labels, n) ->
            out.append("keyturn_http_request_seconds_sum{")
                .append(labels)
                .append("} ")
                .append(n.sum() / 1e9)
                .append('\n'));
    out.append("# HELP keyturn_auth_throttled_total Requests refused with 429.\n");
    out.append("# TYPE keyturn_auth_throttled_total counter\n");
    line(out, "keyturn_auth_throttled_total", throttled.sum());
    out.append("# HELP keyturn_audit_events_total Audit records written.\n");
    out.append("# TYPE keyturn_audit_events_total counter\n");
    line(out, "keyturn_audit_events_total", auditEvents.sum());
    out.append(
        "# HELP keyturn_audit_failures_total Requests refused because the audit log failed.\n");
    out.append("# TYPE keyturn_audit_failures_total counter\n");
    line(out, "keyturn_audit_failures_total", auditFailures.sum());
    return out.toString();
  }

  private static void line(StringBuilder out, String name, long value) {
    out.append(name).append(' ').append(value).append('\n');
  }
}
