package io.parlor.spi;

import io.parlor.spi.http.HttpRequest;

/**
 * Optional adapter feature: tells whether an HTTP request to a core endpoint (e.g. the public-key
 * directory) was really sent by this network, using the network's own request authentication
 * (for the webhook protocol, {@code Parlor-Signature}). Obtained with {@link
 * Adapter#feature(Class)}. Thread-safe; must not block.
 */
@Incubating
public interface RequestVerifier {
  boolean verify(HttpRequest request);
}
