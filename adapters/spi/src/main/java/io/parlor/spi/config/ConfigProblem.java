package io.parlor.spi.config;

/**
 * One problem in a config file.
 *
 * @param path field path, e.g. {@code networks[1].deliveryUrl}
 * @param value the bad value as text ({@code <missing>} or {@code <redacted>} for secrets)
 * @param expected what is expected there
 */
public record ConfigProblem(String path, String value, String expected) {
  @Override
  public String toString() {
    return path + ": " + value + ": " + expected;
  }
}
