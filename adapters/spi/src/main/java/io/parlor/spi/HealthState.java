package io.parlor.spi;

/** Health states of an adapter. */
public enum HealthState {
  STARTING,
  CONNECTED,
  DEGRADED,
  RECONNECTING,
  AUTH_FAILED,
  STOPPED;

  /** Whether deliveries may be routed to an adapter in this state. */
  public boolean canDeliver() {
    return this == CONNECTED || this == DEGRADED;
  }
}
