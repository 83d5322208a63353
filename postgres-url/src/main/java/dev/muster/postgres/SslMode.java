package dev.muster.postgres;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** libpq's {@code sslmode}, with libpq's names and meanings. */
public enum SslMode {
  /** Plain text only. */
  DISABLE,
  /** Plain text first; TLS, unverified, only if the server refuses plain text. */
  ALLOW,
  /** TLS, unverified, if the server offers it; otherwise plain text. libpq's default. */
  PREFER,
  /** TLS or no connection; the certificate is not checked (unless a root certificate is given: then as {@link #VERIFY_CA}). */
  REQUIRE,
  /** TLS, and the server's certificate must be signed by the CA in {@code sslrootcert}. */
  VERIFY_CA,
  /** As {@link #VERIFY_CA}, and the certificate must name the host connected to. */
  VERIFY_FULL;

  /** {@code verify-full}, as libpq and pgjdbc spell it. */
  public String libpqName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Whether a connection made in this mode is always encrypted. */
  public boolean requiresEncryption() {
    return compareTo(REQUIRE) >= 0;
  }

  /** Whether the server's certificate is checked against {@code sslrootcert}. */
  public boolean verifiesCertificate() {
    return compareTo(VERIFY_CA) >= 0;
  }

  /**
   * The mode libpq spells {@code name}.
   *
   * @throws IllegalArgumentException listing the valid names
   */
  public static SslMode of(String name) {
    for (SslMode mode : values()) {
      if (mode.libpqName().equals(name)) return mode;
    }
    throw new IllegalArgumentException("sslmode must be one of "
        + Arrays.stream(values()).map(SslMode::libpqName).collect(Collectors.joining(", ")) + ", was '" + name + "'");
  }

  @Override
  public String toString() {
    return libpqName();
  }
}
