package io.parlor.spi;

import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * Optional adapter feature of networks whose media needs their credentials (WhatsApp media ids,
 * Messenger attachment URLs): tells the core where to fetch the bytes of a {@code
 * Content.Media.source()} this adapter produced. The core streams them itself (checking size,
 * hash and the addresses it may reach), so bytes never pass through the adapter and never touch
 * disk. Obtained with {@link Adapter#feature(Class)}; must not block.
 */
@Incubating
public interface MediaSource {

  /**
   * Resolves a source reference (e.g. asks the Graph API for a media id's download URL).
   *
   * @return completes with the location, or exceptionally with a {@link DeliveryException}
   *     ({@link PermanentDeliveryException} when the media is gone)
   */
  CompletionStage<MediaLocation> locate(String source);

  /**
   * Where and how to fetch media bytes.
   *
   * @param url {@code https} (or {@code http} to an address the node's config allows)
   * @param headers request headers to send (e.g. {@code authorization}); never logged or stored
   * @param size the byte size when the network told it, else null
   * @param sha256 64 lowercase hex digits when the network told it, else null
   */
  record MediaLocation(URI url, Map<String, String> headers, Long size, String sha256) {
    public MediaLocation {
      Objects.requireNonNull(url, "url");
      headers = Map.copyOf(headers);
    }

    @Override
    public String toString() {
      return "MediaLocation[host=" + url.getHost() + "]";
    }
  }
}
