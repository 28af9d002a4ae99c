package io.parlor.core.delivery;

import io.parlor.spi.StatusReport;

/** How a message left the queue. */
record Outcome(StatusReport.Status status, String reason, String network) {
  static Outcome delivered(String network) {
    return new Outcome(StatusReport.Status.DELIVERED, "", network);
  }

  static Outcome failed(String reason, String network) {
    return new Outcome(StatusReport.Status.FAILED, reason, network);
  }

  static Outcome expired() {
    return new Outcome(StatusReport.Status.EXPIRED, "expired", "none");
  }
}
