package io.parlor.core.delivery;

/** No linked account can take the message any more (unlinked, forgotten, no capable network). */
final class NoRouteException extends Exception {
  private static final long serialVersionUID = 1L;
  private final String reason;

  NoRouteException(String reason) {
    super("no route: " + reason, null, false, false);
    this.reason = reason;
  }

  String reason() {
    return reason;
  }
}
