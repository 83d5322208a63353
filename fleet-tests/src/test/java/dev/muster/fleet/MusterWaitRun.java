package dev.muster.fleet;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** One run of {@code scripts/muster-wait} under {@code sh}, its stdin empty, to its end. */
record MusterWaitRun(int exitCode, String stdout, String stderr, long pid) {
  static MusterWaitRun run(Path dir, Map<String, String> env, String... args) throws Exception {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process p = builder(env, args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("muster-wait did not end within 90 s: " + Files.readString(err));
    }
    return new MusterWaitRun(p.exitValue(), Files.readString(out), Files.readString(err), p.pid());
  }

  /** muster-wait with only {@code env}'s MUSTER_* variables, from the repository's scripts/. */
  static ProcessBuilder builder(Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>(List.of("sh", Paths.root().resolve("scripts/muster-wait").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    pb.environment().keySet().removeIf(k -> k.startsWith("MUSTER_"));
    pb.environment().putAll(env);
    return pb;
  }
}
