package io.parlor.core.delivery;

import io.parlor.spi.StatusReport;

/** How a message left the queue; {@code grade} says how delivered v2 content was carried. */
record Outcome(StatusReport.Status status, String reason, String network, StatusReport.Grade grade) {
  static Outcome delivered(String network, StatusReport.Grade grade) {
    return new Outcome(StatusReport.Status.DELIVERED, "", network, grade);
  }

  static Outcome failed(String reason, String network) {
    return new Outcome(StatusReport.Status.FAILED, reason, network, null);
  }

  static Outcome expired() {
    return new Outcome(StatusReport.Status.EXPIRED, "expired", "none", null);
  }
}
