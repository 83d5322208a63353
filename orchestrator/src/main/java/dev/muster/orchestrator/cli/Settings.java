package dev.muster.orchestrator.cli;

import dev.muster.orchestrator.config.MusterConfig;
import dev.muster.orchestrator.config.Setting;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Spec;

/**
 * The flags every command shares, made from {@link MusterConfig#SETTINGS}: each mirrors a {@code MUSTER_*}
 * variable, wins over it, and is described in {@code --help} by its setting's own sentence. {@link ServeOnly}
 * adds {@code serve}'s. {@link #config()} reads whichever of them the command has, and the environment.
 */
@Command(modelTransformer = Settings.Flags.class)
public final class Settings {
  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  public MusterConfig config() {
    return config(System.getenv());
  }

  MusterConfig config(Map<String, String> env) {
    return MusterConfig.resolve(this::flag, env);
  }

  private String flag(String name) {
    OptionSpec option = command.findOption(name);
    return option == null ? null : option.getValue();
  }

  /** Next to {@link Settings}, gives a command {@code serve}'s flags too: the HTTP side. */
  @Command
  public static final class ServeOnly {}

  /**
   * Adds the flags. Picocli hands a mixin's model transformer on to the command that mixes it in and runs it
   * on that command's spec, so this sees the whole command, {@link ServeOnly} included.
   */
  static final class Flags implements IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec spec) {
      boolean serve = spec.mixins().values().stream().anyMatch(m -> m.userObject() instanceof ServeOnly);
      for (Setting<?> s : MusterConfig.SETTINGS) {
        if (!s.isInternal() && (serve || s.scope() == Setting.Scope.EVERY_COMMAND)) addFlags(spec, s);
      }
      return spec;
    }
  }

  private static void addFlags(CommandSpec spec, Setting<?> s) {
    if (s.flag() != null) {
      OptionSpec.Builder flag = OptionSpec.builder(s.flag()).paramLabel(s.label()).type(String.class)
          .description(help(s));
      if (s.defaultValue() instanceof Boolean) flag.arity("0..1").fallbackValue("true");
      spec.addOption(flag.build());
    }
    if (s.isSecret()) {
      spec.addOption(OptionSpec.builder(s.fileFlag()).paramLabel("FILE").type(String.class)
          .description("a file that holds " + (s.flag() == null ? s.variable() : s.flag()) + "'s value (env "
              + s.fileVariable() + "), as secrets are mounted")
          .build());
    }
  }

  /** The setting's sentence, its variable and its default; for a secret, where else to put it. */
  static String help(Setting<?> s) {
    String help = s.description() + " (env " + s.variable() + "; default " + s.defaultText() + ")";
    if (s.isSecret()) {
      help += ". Shows in ps to every user of this host: prefer " + s.variable() + " or " + s.fileFlag() + " / "
          + s.fileVariable();
    }
    return help;
  }
}
