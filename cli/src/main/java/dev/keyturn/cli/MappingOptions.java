package dev.keyturn.cli;

import dev.keyturn.cli.delivery.MapFile;
import dev.keyturn.cli.delivery.MappingSpec;
import dev.keyturn.core.KeyturnException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The mapping options {@code run} and {@code render} share (docs/delivery.md). */
final class MappingOptions {
  @Option(
      names = "--path",
      paramLabel = "P",
      description =
          "Every secret one level below P that the token may read, named by its last segment"
              + " (repeatable).")
  List<String> paths = new ArrayList<>();

  @Option(
      names = "--secret",
      paramLabel = "NAME[=VAR][:url|:jdbc|:keyring]",
      description =
          "One secret, as VAR (default its last segment); :url or :jdbc renders a database"
              + " secret as its connection URL; :keyring adds VAR_FALLBACKS and VAR_OLD"
              + " (repeatable).")
  List<String> secrets = new ArrayList<>();

  @Option(
      names = "--optional",
      paramLabel = "NAME[=VAR]",
      description = "Like --secret, but an absent secret only warns (repeatable).")
  List<String> optionals = new ArrayList<>();

  @Option(
      names = "--keyring",
      description =
          "Every secret also adds VAR_FALLBACKS (a JSON array: pending value first, then previous"
              + " ones newest first) and VAR_OLD (its first element, or empty).")
  boolean keyring;

  @Option(
      names = "--map",
      paramLabel = "FILE",
      description = "A mapping file (YAML, schema in docs/delivery.md), with the options above.")
  Path map;

  /** The mapping these options describe; the map file's, then the options'. */
  MappingSpec spec(Path workingDir) {
    List<MappingSpec.Entry> entries = new ArrayList<>();
    for (String s : secrets) {
      entries.add(MappingSpec.Entry.parse(s, false));
    }
    for (String s : optionals) {
      entries.add(MappingSpec.Entry.parse(s, true));
    }
    MappingSpec spec = new MappingSpec(paths, entries, keyring);
    if (map != null) {
      spec = MapFile.read(workingDir.resolve(map)).plus(spec);
    }
    if (spec.isEmpty()) {
      throw new KeyturnException.InvalidInput(
          "nothing to map: give --path, --secret, --optional or --map");
    }
    return spec;
  }
}
