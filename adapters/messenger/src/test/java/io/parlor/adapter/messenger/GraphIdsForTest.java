package io.parlor.adapter.messenger;

import io.parlor.spi.envelope.MessageId;

/** The id form the adapter gives platform ids (tests). */
final class GraphIdsForTest {
  private GraphIdsForTest() {}

  static MessageId id(String platformId) {
    return io.parlor.adapter.meta.GraphIds.messageId(platformId);
  }
}
