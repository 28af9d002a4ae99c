package io.parlor.spi.envelope;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Message content (contract part 2, section 2): plaintext, an opaque encrypted payload the gateway
 * routes without being able to read, and — version 2 — media by reference, a reaction, an edit, a
 * delete for everyone and a location. Every record validates on construction and names the bad
 * field ({@code content.<field>}) in its {@link EnvelopeException}, never the value.
 */
public sealed interface Content
    permits Content.Text, Content.Encrypted, Content.Media, Content.Reaction, Content.Edit,
        Content.Delete, Content.Location {

  /** Size in bytes that the content occupies in the envelope (UTF-8 text, decoded ciphertext...). */
  int size();

  /** Which kind this is. */
  ContentKind kind();

  /** The message this content acts on (reaction, edit, delete), if any. */
  default Optional<MessageId> targetOpt() {
    return Optional.empty();
  }

  /** Plain text. */
  record Text(String text) implements Content {
    public Text {
      if (text == null || text.isEmpty()) {
        throw new EnvelopeException("content.text", "is required and must not be empty");
      }
    }

    @Override
    public int size() {
      return utf8(text);
    }

    @Override
    public ContentKind kind() {
      return ContentKind.TEXT;
    }
  }

  /**
   * Message franking (issue 14), for reports of end-to-end encrypted messages: the sender's client
   * commits to the plaintext — {@code commitment = HMAC-SHA256(frankingKey, plaintext)}, the key
   * known to both ends of the conversation and to nobody else — and Parlor, at ingress, binds the
   * commitment to the sender, the recipient and the time with a keyed {@code tag} delivered
   * alongside the ciphertext ({@code at} is that time). A recipient who reports the message reveals
   * the plaintext and the key; Parlor checks both against the tag without having stored anything,
   * and without ever reading the plaintext otherwise.
   *
   * @param commitment 32 bytes
   * @param tag Parlor's stamp, or null (as the sender sends it: Parlor sets it, whatever was sent)
   * @param at when Parlor stamped it, or null
   */
  record Franking(byte[] commitment, String tag, java.time.Instant at) {
    public static final int COMMITMENT_BYTES = 32;

    public Franking {
      if (commitment == null || commitment.length != COMMITMENT_BYTES) {
        throw new EnvelopeException("content.franking.commitment",
            "must be " + COMMITMENT_BYTES + " bytes, standard base64 (HMAC-SHA256 of the plaintext under the franking key)");
      }
      commitment = commitment.clone();
    }

    @Override
    public byte[] commitment() {
      return commitment.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Franking f && Arrays.equals(f.commitment, commitment) && java.util.Objects.equals(f.tag, tag)
          && java.util.Objects.equals(f.at, at);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(commitment) * 31 + java.util.Objects.hash(tag, at);
    }
  }

  /**
   * End-to-end encrypted payload, opaque to Parlor: one ciphertext, or — for a group — one per
   * member ({@code perMember}, client-side fan-out), keyed by each member's handle as the sender
   * sees it in the group. Exactly one of the two is present.
   *
   * @param scheme the encryption scheme, e.g. {@code x25519-aesgcm-v1}
   * @param ciphertext the payload bytes (base64 on the wire); never inspected; null with {@code perMember}
   * @param perMember member handle to that member's ciphertext; empty without it
   */
  record Encrypted(String scheme, byte[] ciphertext, Map<String, byte[]> perMember, Franking franking) implements Content {
    private static final Pattern SCHEME = Pattern.compile("[a-z0-9][a-z0-9.-]{0,63}");
    /** Most ciphertexts one message may carry (the largest group a policy allows). */
    public static final int MAX_MEMBERS = 256;

    public Encrypted {
      if (scheme == null || !SCHEME.matcher(scheme).matches()) {
        throw new EnvelopeException("content.scheme", "must match [a-z0-9][a-z0-9.-]{0,63}");
      }
      perMember = perMember == null ? Map.of() : perMember;
      if (ciphertext != null && !perMember.isEmpty()) {
        throw new EnvelopeException("content.perMember", "must not be given with content.ciphertext (one or the other)");
      }
      if (ciphertext == null && perMember.isEmpty()) {
        throw new EnvelopeException("content.ciphertext", "is required and must not be empty");
      }
      if (ciphertext != null && ciphertext.length == 0) {
        throw new EnvelopeException("content.ciphertext", "is required and must not be empty");
      }
      if (perMember.size() > MAX_MEMBERS) {
        throw new EnvelopeException("content.perMember", "must not name more than " + MAX_MEMBERS + " members");
      }
      Map<String, byte[]> copy = new TreeMap<>();
      for (Map.Entry<String, byte[]> m : perMember.entrySet()) {
        String k = m.getKey();
        if (k == null || !Address.isValid(k)
            || (Address.of(k).kind() != Address.Kind.HANDLE && Address.of(k).kind() != Address.Kind.RELAY)) {
          throw new EnvelopeException("content.perMember", "keys must be members' handles (@name or ~relay)");
        }
        if (m.getValue() == null || m.getValue().length == 0) {
          throw new EnvelopeException("content.perMember", "every member's ciphertext must be non-empty base64");
        }
        copy.put(k, m.getValue().clone());
      }
      perMember = Collections.unmodifiableMap(copy);
      ciphertext = ciphertext == null ? null : ciphertext.clone();
      if (franking != null && !perMember.isEmpty()) {
        throw new EnvelopeException("content.franking", "only for a message to one recipient (content.ciphertext)");
      }
    }

    /** Without franking. */
    public Encrypted(String scheme, byte[] ciphertext, Map<String, byte[]> perMember) {
      this(scheme, ciphertext, perMember, null);
    }

    /** One ciphertext, for one recipient. */
    public Encrypted(String scheme, byte[] ciphertext) {
      this(scheme, ciphertext, Map.of());
    }

    /** The same content with {@code f} as its franking. */
    public Encrypted withFranking(Franking f) {
      return new Encrypted(scheme, ciphertext, perMember, f);
    }

    /** Whether this carries one ciphertext per group member. */
    public boolean isPerMember() {
      return !perMember.isEmpty();
    }

    @Override
    public byte[] ciphertext() {
      return ciphertext == null ? null : ciphertext.clone();
    }

    /** The ciphertext of the member known to the sender as {@code handle}, if the message has one. */
    public Optional<byte[]> forMember(String handle) {
      byte[] b = perMember.get(handle);
      return b == null ? Optional.empty() : Optional.of(b.clone());
    }

    @Override
    public Map<String, byte[]> perMember() {
      Map<String, byte[]> copy = new TreeMap<>();
      perMember.forEach((k, v) -> copy.put(k, v.clone()));
      return copy;
    }

    public String ciphertextBase64() {
      return ciphertext == null ? null : Base64.getEncoder().encodeToString(ciphertext);
    }

    @Override
    public int size() {
      if (ciphertext != null) {
        return ciphertext.length;
      }
      int n = 0;
      for (byte[] b : perMember.values()) {
        n += b.length;
      }
      return n;
    }

    @Override
    public ContentKind kind() {
      return ContentKind.ENCRYPTED;
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Encrypted e) || !e.scheme.equals(scheme) || !Arrays.equals(e.ciphertext, ciphertext)
          || !e.perMember.keySet().equals(perMember.keySet()) || !java.util.Objects.equals(e.franking, franking)) {
        return false;
      }
      for (Map.Entry<String, byte[]> m : perMember.entrySet()) {
        if (!Arrays.equals(m.getValue(), e.perMember.get(m.getKey()))) {
          return false;
        }
      }
      return true;
    }

    @Override
    public int hashCode() {
      int h = scheme.hashCode() * 31 + Arrays.hashCode(ciphertext);
      for (Map.Entry<String, byte[]> m : perMember.entrySet()) {
        h = h * 31 + m.getKey().hashCode() + Arrays.hashCode(m.getValue());
      }
      return h;
    }

    @Override
    public String toString() {
      return "Encrypted[scheme=" + scheme + ", bytes=" + size()
          + (perMember.isEmpty() ? "" : ", members=" + perMember.size()) + "]";
    }
  }

  /** What a media item is, and how its text fallback names it. */
  enum MediaKind {
    IMAGE("\uD83D\uDCF7 photo"),
    AUDIO("\uD83C\uDFB5 audio"),
    VOICE("\uD83C\uDFA4 voice message"),
    VIDEO("\uD83C\uDFAC video"),
    FILE("\uD83D\uDCC4 file"),
    STICKER("sticker");

    private final String label;

    MediaKind(String label) {
      this.label = label;
    }

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** How a text fallback names this kind, e.g. {@code 📷 photo}. */
    public String label() {
      return label;
    }

    public static Optional<MediaKind> fromWire(String wire) {
      for (MediaKind k : values()) {
        if (k.wire().equals(wire)) {
          return Optional.of(k);
        }
      }
      return Optional.empty();
    }
  }

  /**
   * The key of encrypted media (MIMI: the attachment is encrypted, the key travels in the message).
   *
   * @param alg {@code aes-256-gcm}
   * @param key 32 bytes
   * @param nonce 12 bytes
   */
  record MediaEncryption(String alg, byte[] key, byte[] nonce) {
    public static final String AES_256_GCM = "aes-256-gcm";

    public MediaEncryption {
      if (!AES_256_GCM.equals(alg)) {
        throw new EnvelopeException("content.encryption.alg", "must be \"" + AES_256_GCM + "\"");
      }
      if (key == null || key.length != 32) {
        throw new EnvelopeException("content.encryption.key", "must be 32 bytes (standard base64)");
      }
      if (nonce == null || nonce.length != 12) {
        throw new EnvelopeException("content.encryption.nonce", "must be 12 bytes (standard base64)");
      }
      key = key.clone();
      nonce = nonce.clone();
    }

    @Override
    public byte[] key() {
      return key.clone();
    }

    @Override
    public byte[] nonce() {
      return nonce.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof MediaEncryption m && Arrays.equals(m.key, key) && Arrays.equals(m.nonce, nonce);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(key) * 31 + Arrays.hashCode(nonce);
    }

    @Override
    public String toString() {
      return "MediaEncryption[" + alg + "]";
    }
  }

  /**
   * Media by reference: the bytes never travel in the envelope. Exactly one of {@code url} and
   * {@code source} is set.
   *
   * @param mediaKind image, audio, voice, video, file or sticker
   * @param url where anyone given the envelope can fetch the bytes: {@code https}, or {@code http}
   *     to a loopback address (tests)
   * @param source media held by the source network, that only its adapter can fetch (a WhatsApp
   *     media id, a Messenger attachment URL): the adapter's own reference, resolved through its
   *     {@link io.parlor.spi.MediaSource}. Never sent to another network: the core replaces it with
   *     a capability URL on the node when it delivers.
   * @param mimeType e.g. {@code image/jpeg}, {@code audio/ogg; codecs=opus}; lower-cased
   * @param byteSize the media's size in bytes, when known (null otherwise); {@code size} on the wire
   * @param sha256 the SHA-256 of the bytes as 64 lowercase hex digits, when known
   * @param name a file name, optional
   * @param caption a caption, optional
   * @param encryption the key when the bytes are encrypted (never given a text fallback), optional
   */
  record Media(
      MediaKind mediaKind,
      String url,
      String source,
      String mimeType,
      Long byteSize,
      String sha256,
      String name,
      String caption,
      MediaEncryption encryption)
      implements Content {
    /** Largest media item Parlor describes (1 TiB); the node's own limit is {@code media.maxBytes}. */
    public static final long MAX_SIZE = 1L << 40;

    private static final Pattern MIME =
        Pattern.compile("[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(\\s*;[^\\p{Cntrl}]{1,200})?");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public Media {
      if (mediaKind == null) {
        throw new EnvelopeException("content.kind", "must be image, audio, voice, video, file or sticker");
      }
      if ((url == null) == (source == null)) {
        throw new EnvelopeException("content.url", "is required");
      }
      if (url != null && !isFetchableUrl(url)) {
        throw new EnvelopeException("content.url", "must be an https:// URL (http:// only to a loopback address), at most 2048 characters");
      }
      if (source != null && (source.isEmpty() || source.length() > 2048 || hasControl(source))) {
        throw new EnvelopeException("content.source", "must be 1-2048 characters without control characters");
      }
      mimeType = mimeType == null ? null : mimeType.trim().toLowerCase(Locale.ROOT);
      if (mimeType == null || !MIME.matcher(mimeType).matches()) {
        throw new EnvelopeException("content.mimeType", "must be a media type such as image/jpeg");
      }
      if (byteSize != null && (byteSize < 0 || byteSize > MAX_SIZE)) {
        throw new EnvelopeException("content.size", "must be a whole number of bytes from 0 to " + MAX_SIZE);
      }
      sha256 = sha256 == null ? null : sha256.toLowerCase(Locale.ROOT);
      if (sha256 != null && !SHA256.matcher(sha256).matches()) {
        throw new EnvelopeException("content.sha256", "must be the SHA-256 of the bytes as 64 hex digits");
      }
      name = optionalText("content.name", name, 255);
      caption = optionalText("content.caption", caption, 4096);
    }

    /** Media anyone can fetch at {@code url}. */
    public static Media atUrl(MediaKind kind, String url, String mimeType, Long size, String sha256) {
      return new Media(kind, url, null, mimeType, size, sha256, null, null, null);
    }

    /** Media held by the source network, fetched through its adapter with {@code source}. */
    public static Media held(MediaKind kind, String source, String mimeType, Long size, String sha256) {
      return new Media(kind, null, source, mimeType, size, sha256, null, null, null);
    }

    public Media withCaption(String newCaption) {
      return new Media(mediaKind, url, source, mimeType, byteSize, sha256, name, newCaption, encryption);
    }

    public Media withName(String newName) {
      return new Media(mediaKind, url, source, mimeType, byteSize, sha256, newName, caption, encryption);
    }

    /** The same media at {@code newUrl} (e.g. the node's capability URL instead of a source ref). */
    public Media withUrl(String newUrl) {
      return new Media(mediaKind, newUrl, null, mimeType, byteSize, sha256, name, caption, encryption);
    }

    public Optional<String> urlOpt() {
      return Optional.ofNullable(url);
    }

    /** Whether only the source network's adapter can fetch the bytes. */
    public boolean held() {
      return source != null;
    }

    @Override
    public int size() {
      return (caption == null ? 0 : utf8(caption)) + utf8(url != null ? url : source);
    }

    @Override
    public ContentKind kind() {
      return ContentKind.MEDIA;
    }

    @Override
    public String toString() {
      return "Media[" + mediaKind.wire() + ", " + mimeType + (held() ? ", held" : "") + "]";
    }

    /** An {@code https} URL, or {@code http} to a loopback address; no user info, no fragment. */
    public static boolean isFetchableUrl(String url) {
      if (url == null || url.length() > 2048 || hasControl(url) || url.indexOf(' ') >= 0) {
        return false;
      }
      java.net.URI u;
      try {
        u = new java.net.URI(url);
      } catch (java.net.URISyntaxException e) {
        return false;
      }
      String host = u.getHost();
      if (host == null || host.isEmpty() || u.getRawUserInfo() != null || u.getRawFragment() != null) {
        return false;
      }
      if ("https".equalsIgnoreCase(u.getScheme())) {
        return true;
      }
      return "http".equalsIgnoreCase(u.getScheme()) && isLoopbackHost(host);
    }

    private static boolean isLoopbackHost(String host) {
      String h = host.toLowerCase(Locale.ROOT);
      return h.equals("localhost") || h.equals("[::1]") || h.matches("127(\\.[0-9]{1,3}){3}");
    }
  }

  /**
   * A reaction to a message.
   *
   * @param target the message reacted to, as the sender's network knows it
   * @param emoji the reaction; empty removes the sender's earlier reaction
   */
  record Reaction(MessageId target, String emoji) implements Content {
    public Reaction {
      if (target == null) {
        throw new EnvelopeException("content.target", "is required");
      }
      if (emoji == null) {
        throw new EnvelopeException("content.emoji", "is required (empty removes the reaction)");
      }
      if (emoji.length() > 64 || hasControl(emoji) || emoji.chars().anyMatch(Character::isWhitespace)) {
        throw new EnvelopeException("content.emoji", "must be one emoji (at most 64 characters, no spaces)");
      }
    }

    /** Whether this removes the sender's reaction. */
    public boolean removal() {
      return emoji.isEmpty();
    }

    @Override
    public int size() {
      return utf8(emoji);
    }

    @Override
    public ContentKind kind() {
      return ContentKind.REACTION;
    }

    @Override
    public Optional<MessageId> targetOpt() {
      return Optional.of(target);
    }
  }

  /** A new text for a message the same sender sent earlier. */
  record Edit(MessageId target, String text) implements Content {
    public Edit {
      if (target == null) {
        throw new EnvelopeException("content.target", "is required");
      }
      if (text == null || text.isEmpty()) {
        throw new EnvelopeException("content.text", "is required and must not be empty");
      }
    }

    @Override
    public int size() {
      return utf8(text);
    }

    @Override
    public ContentKind kind() {
      return ContentKind.EDIT;
    }

    @Override
    public Optional<MessageId> targetOpt() {
      return Optional.of(target);
    }
  }

  /** Delete for everyone: a message the same sender sent earlier. */
  record Delete(MessageId target) implements Content {
    public Delete {
      if (target == null) {
        throw new EnvelopeException("content.target", "is required");
      }
    }

    @Override
    public int size() {
      return 0;
    }

    @Override
    public ContentKind kind() {
      return ContentKind.DELETE;
    }

    @Override
    public Optional<MessageId> targetOpt() {
      return Optional.of(target);
    }
  }

  /** A place: WGS 84 degrees and an optional name. */
  record Location(double latitude, double longitude, String name) implements Content {
    public Location {
      if (!Double.isFinite(latitude) || latitude < -90 || latitude > 90) {
        throw new EnvelopeException("content.latitude", "must be a number from -90 to 90");
      }
      if (!Double.isFinite(longitude) || longitude < -180 || longitude > 180) {
        throw new EnvelopeException("content.longitude", "must be a number from -180 to 180");
      }
      name = optionalText("content.name", name, 1024);
    }

    /** The map-neutral {@code geo:} URI (RFC 5870), e.g. {@code geo:52.52,13.405}. */
    public String geoUri() {
      return "geo:" + stripZeros(latitude) + "," + stripZeros(longitude);
    }

    @Override
    public int size() {
      return 16 + (name == null ? 0 : utf8(name));
    }

    @Override
    public ContentKind kind() {
      return ContentKind.LOCATION;
    }

    private static String stripZeros(double d) {
      return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }
  }

  private static int utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static boolean hasControl(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isISOControl(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  /** Null stays null; otherwise 1..max characters (a caption may hold line breaks, not other controls). */
  private static String optionalText(String field, String v, int max) {
    if (v == null) {
      return null;
    }
    if (v.isEmpty() || v.length() > max) {
      throw new EnvelopeException(field, "must be 1-" + max + " characters when given");
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (Character.isISOControl(c) && c != '\n' && c != '\r' && c != '\t') {
        throw new EnvelopeException(field, "must not contain control characters");
      }
    }
    Objects.requireNonNull(v);
    return v;
  }
}
