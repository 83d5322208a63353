package dev.muster.postgres;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A secret kept in a file, as Kubernetes and Docker mount them ({@code MUSTER_TOKEN_FILE=/run/secrets/token}):
 * so it never has to be on a command line or in the environment of the process.
 */
public final class SecretFile {
  /** Larger than any token or password; a bigger file is the wrong file. */
  private static final long MAX_BYTES = 64 * 1024;

  private SecretFile() {}

  /**
   * The file's content without its trailing line break ({@code echo secret > file} adds one).
   *
   * @param variable the setting that named the file, for the error message
   * @throws IllegalArgumentException naming {@code variable} and the path (never the content) when the file
   *     cannot be read, is too large or holds nothing
   */
  public static String read(String variable, String path) {
    if (path == null || path.isBlank()) throw new IllegalArgumentException(variable + " is set but empty: name a file");
    Path file = Path.of(path.strip());
    String content;
    try {
      if (Files.size(file) > MAX_BYTES) {
        throw new IllegalArgumentException(variable + "=" + file + " is larger than " + MAX_BYTES + " bytes: not a secret file");
      }
      content = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException(variable + "=" + file + " cannot be read (" + e.getClass().getSimpleName() + ")", e);
    }
    String secret = content.replaceAll("[\r\n]+$", "");
    if (secret.isEmpty()) throw new IllegalArgumentException(variable + "=" + file + " is empty");
    return secret;
  }
}
